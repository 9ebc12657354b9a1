//! Deterministic randomness: one ChaCha8 keystream slice per (purpose, index), normal draws, UUIDs.
//!
//! Each purpose (roster, latent traits, attendance of student i, statements of day d, ...) reads its
//! own slice of the seed's keystream, so changing how many draws one purpose makes never shifts
//! another, and a day's statements can be generated without replaying the days before it.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// What a random stream is used for; the discriminant selects the ChaCha stream.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    Roster = 1,
    Latent = 2,
    Items = 3,
    Attendance = 4,
    Plan = 5,
    Outcomes = 6,
    Statements = 7,
    StatementIds = 8,
    Live = 9,
}

/// The random stream for `purpose` and `index` (a student, a day, a class ...) under `seed`.
pub(crate) fn stream(seed: u64, purpose: Purpose, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose as u64);
    // 2^36 words (256 GiB of keystream) per index: far more than any index draws.
    rng.set_word_pos(u128::from(index) << 36);
    rng
}

/// A standard normal draw (Box–Muller). Synthetic data only; never privacy noise.
pub(crate) fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A version-4 UUID whose random bits come from `rng`.
pub(crate) fn uuid(rng: &mut impl Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

/// An index drawn with probability proportional to `weights` (non-empty, positive sum).
pub(crate) fn weighted(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// One element of a non-empty slice, uniformly.
pub(crate) fn pick<T: Copy>(rng: &mut impl Rng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: [u64; 4] = stream(7, Purpose::Roster, 3).gen();
        let b: [u64; 4] = stream(7, Purpose::Roster, 3).gen();
        let c: [u64; 4] = stream(7, Purpose::Roster, 4).gen();
        let d: [u64; 4] = stream(7, Purpose::Latent, 3).gen();
        let e: [u64; 4] = stream(8, Purpose::Roster, 3).gen();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_ne!(a, e);
    }

    #[test]
    fn normal_draws_have_unit_moments() {
        let mut rng = stream(1, Purpose::Latent, 0);
        let xs: Vec<f64> = (0..20_000).map(|_| normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }

    #[test]
    fn weighted_follows_weights() {
        let mut rng = stream(1, Purpose::Roster, 0);
        let mut counts = [0usize; 3];
        for _ in 0..10_000 {
            counts[weighted(&mut rng, &[0.7, 0.2, 0.1])] += 1;
        }
        assert!((6_700..7_300).contains(&counts[0]), "{counts:?}");
        assert!((1_700..2_300).contains(&counts[1]), "{counts:?}");
    }

    #[test]
    fn uuids_are_version_4() {
        let mut rng = stream(1, Purpose::Roster, 0);
        let id = uuid(&mut rng);
        assert_eq!(id.get_version_num(), 4);
        assert_ne!(id, uuid(&mut rng));
    }
}
