//! Classical item analysis: difficulty (share correct) and discrimination (point-biserial
//! correlation of the item score with the student's share correct on their other answers).

/// One student's first scored answer to the item, with their totals over every scored answer
/// (this one included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Responder {
    pub correct: bool,
    pub answered: u32,
    pub answered_correct: u32,
}

/// Share of responders who were right; `None` without responders.
pub fn difficulty(responders: u32, correct: u32) -> Option<f64> {
    (responders > 0).then(|| f64::from(correct) / f64::from(responders))
}

/// Point-biserial r = (M1 - M0) / s * sqrt(p q) over the responders, where the criterion is the
/// student's share correct on their *other* answers (the item itself removed, so an item does not
/// correlate with itself), M1/M0 its mean among those right/wrong on the item, s its population
/// standard deviation and p the share right. `None` when it is undefined: fewer than two
/// responders with other answers, everyone right or everyone wrong, or no spread in the criterion.
pub fn point_biserial(responders: &[Responder]) -> Option<f64> {
    let mut rows: Vec<(bool, f64)> = Vec::with_capacity(responders.len());
    for r in responders {
        let others = r.answered.checked_sub(1)?;
        if others == 0 {
            continue;
        }
        let others_correct = r.answered_correct.saturating_sub(u32::from(r.correct));
        rows.push((r.correct, f64::from(others_correct) / f64::from(others)));
    }
    let n = rows.len() as f64;
    let n1 = rows.iter().filter(|(c, _)| *c).count() as f64;
    let n0 = n - n1;
    if n1 == 0.0 || n0 == 0.0 {
        return None;
    }
    let mean = rows.iter().map(|(_, x)| x).sum::<f64>() / n;
    let var = rows.iter().map(|(_, x)| (x - mean) * (x - mean)).sum::<f64>() / n;
    if var <= 0.0 {
        return None;
    }
    let m1 = rows.iter().filter(|(c, _)| *c).map(|(_, x)| x).sum::<f64>() / n1;
    let m0 = rows.iter().filter(|(c, _)| !*c).map(|(_, x)| x).sum::<f64>() / n0;
    let p = n1 / n;
    Some(((m1 - m0) / var.sqrt() * (p * (1.0 - p)).sqrt()).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(correct: bool, answered: u32, answered_correct: u32) -> Responder {
        Responder { correct, answered, answered_correct }
    }

    #[test]
    fn difficulty_is_share_correct() {
        assert_eq!(difficulty(0, 0), None);
        assert_eq!(difficulty(4, 3), Some(0.75));
    }

    #[test]
    fn point_biserial_by_hand() {
        // Criterion (other answers) of four students: right ones 9/10 = 0.9 and 7/10 = 0.7; wrong
        // ones 4/10 = 0.4 and 2/10 = 0.2. Mean 0.55; variance (0.1225+0.0225+0.0225+0.1225)/4 =
        // 0.0725; M1 = 0.8, M0 = 0.3, p = 0.5: r = 0.5/0.269258 * 0.5 = 0.928477.
        let rs = [r(true, 11, 10), r(true, 11, 8), r(false, 11, 4), r(false, 11, 2)];
        let got = point_biserial(&rs).unwrap();
        assert!((got - 0.928_476_690_885_259).abs() < 1e-9, "{got}");
        // Reversed: the strong students got it wrong.
        let rs = [r(false, 11, 9), r(false, 11, 7), r(true, 11, 5), r(true, 11, 3)];
        assert!((point_biserial(&rs).unwrap() + 0.928_476_690_885_259).abs() < 1e-9);
    }

    #[test]
    fn undefined_cases() {
        assert_eq!(point_biserial(&[]), None);
        assert_eq!(point_biserial(&[r(true, 5, 5), r(true, 5, 3)]), None, "everyone right");
        assert_eq!(point_biserial(&[r(true, 1, 1), r(false, 1, 0)]), None, "no other answers");
        assert_eq!(point_biserial(&[r(true, 3, 2), r(false, 3, 1)]), None, "same criterion: no spread");
    }
}
