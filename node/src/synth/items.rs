//! The item bank: six four-choice items per standard, each with a key, three distractors mapped to
//! the standard's misconceptions, and a latent difficulty.

use rand::seq::SliceRandom;
use rand::Rng;

use super::model::{Distractor, Grade, Item, Standard, ITEMS_BASE};
use super::rng::{normal, stream, Purpose};
use super::standards::{grade_standards, standard_misconceptions, ITEMS_PER_STANDARD};

const CHOICES: [char; 4] = ['a', 'b', 'c', 'd'];

/// The standards of grades 6–8 (in teaching order) and their items.
pub(crate) fn build_bank(seed: u64) -> (Vec<Standard>, Vec<Item>) {
    let mut rng = stream(seed, Purpose::Items, 0);
    let mut standards = Vec::new();
    let mut items = Vec::new();
    for grade in Grade::ALL {
        for (i, (code, title)) in grade_standards(grade).iter().enumerate() {
            let misconceptions = standard_misconceptions(code, i);
            // Later standards of a grade are a little harder.
            let difficulty = 0.5 * normal(&mut rng) + 0.4 * (i as f64 / 30.0 - 0.5);
            let first = items.len();
            for n in 1..=ITEMS_PER_STANDARD {
                let correct = CHOICES[rng.gen_range(0..CHOICES.len())];
                let mut signals = misconceptions.clone();
                signals.shuffle(&mut rng);
                let mut wrong = CHOICES.iter().filter(|c| **c != correct);
                let mut distractor = |k: usize| Distractor {
                    choice: wrong.next().copied().unwrap_or('d'),
                    misconception: signals[k % signals.len()],
                };
                let distractors = [distractor(0), distractor(1), distractor(2)];
                items.push(Item {
                    item_id: format!("{ITEMS_BASE}/item/{code}/{n:03}"),
                    activity_id: format!("{ITEMS_BASE}/quiz/{code}"),
                    title: format!("{title} — question {n}"),
                    standard: standards.len(),
                    correct,
                    distractors,
                    difficulty: difficulty + 0.6 * normal(&mut rng),
                });
            }
            standards.push(Standard { code, title, grade, misconceptions, items: first..items.len(), difficulty });
        }
    }
    (standards, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_has_a_key_and_three_other_choices() {
        let (standards, items) = build_bank(1);
        assert_eq!(standards.len(), 90);
        assert_eq!(items.len(), 90 * ITEMS_PER_STANDARD);
        for item in &items {
            let mut choices: Vec<char> = item.distractors.iter().map(|d| d.choice).collect();
            choices.push(item.correct);
            choices.sort_unstable();
            assert_eq!(choices, CHOICES, "{}", item.item_id);
            let standard = &standards[item.standard];
            assert!(standard.items.contains(&items.iter().position(|i| i == item).unwrap_or(usize::MAX)));
            for d in &item.distractors {
                assert!(standard.misconceptions.contains(&d.misconception));
            }
            assert!(item.item_id.starts_with("https://items.lantern.example/item/"));
        }
        assert_eq!(items[0].item_id, "https://items.lantern.example/item/6.RP.A.1/001");
        assert_eq!(items[0].activity_id, "https://items.lantern.example/quiz/6.RP.A.1");
    }

    #[test]
    fn bank_depends_on_seed_only() {
        assert_eq!(build_bank(3), build_bank(3));
        assert_ne!(build_bank(3).1, build_bank(4).1);
    }
}
