//! A fast, accurate single-precision sine for the sine network's activations.
//!
//! sin(y): range reduction y = k pi + r with k = round(y / pi) and pi split into four parts
//! (Cody-Waite, SLEEF's constants and range), then an odd polynomial of degree 9 on
//! r in [-pi/2, pi/2] (the coefficients of SLEEF's `sinf_u35`), negated for odd k. No branch
//! per element, so the loops vectorise; it is compiled once for the baseline CPU and once
//! for AVX2 + FMA, chosen at run time (the two give the same bits: Rust does not contract
//! a * b + c into FMA on its own).
//!
//! Error against the f64 sine, measured by the tests below on 2 M arguments in [-39000,
//! 39000] and on every multiple of pi/4 up to 1000: at most 4e-7 (about 3 float32 ulps of 1).
//! Arguments with |y| >= 39,000 (far beyond what a trained network's pre-activations reach)
//! make the whole slice use `f32::sin` instead.

// The constants are written as SLEEF publishes them (exact decimal forms of the float32
// values or the polynomial's coefficients), longer than clippy likes.
#![allow(clippy::excessive_precision)]

/// Largest |y| of the fast path.
pub(crate) const REDUCTION_LIMIT: f32 = 39_000.0;

const INV_PI: f32 = std::f32::consts::FRAC_1_PI;
// pi = A + B + C + D (SLEEF's split), each with few enough mantissa bits that k x part stays
// exact (or nearly) for |y| below the limit.
const PI_A: f32 = 3.140625;
const PI_B: f32 = 0.000_967_025_756_835_937_5;
const PI_C: f32 = 6.277_114_152_908_325e-7;
const PI_D: f32 = 1.215_420_125_655_342e-10;
/// 1.5 x 2^23: adding and subtracting it rounds a float32 of magnitude below 2^22 to the
/// nearest integer (ties to even).
const ROUND: f32 = 12_582_912.0;

#[inline(always)]
fn sin_one(y: f32) -> f32 {
    let big = y * INV_PI + ROUND;
    let kf = big - ROUND;
    let r = y - kf * PI_A;
    let r = r - kf * PI_B;
    let r = r - kf * PI_C;
    let r = r - kf * PI_D;
    let s = r * r;
    let mut u = 2.608_316e-6_f32;
    u = u * s - 1.981_069_1e-4;
    u = u * s + 8.333_079e-3;
    u = u * s - 0.166_666_6;
    let v = r + r * s * u;
    // Negate for odd k: the lowest mantissa bit of `big` is k's (|k| < 2^22).
    let odd = big.to_bits() << 31;
    f32::from_bits(v.to_bits() ^ odd)
}

#[inline(always)]
fn sin_scaled_body(v: &mut [f32], omega: f32) {
    for x in v.iter_mut() {
        *x = sin_one(*x * omega);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sin_scaled_avx2(v: &mut [f32], omega: f32) {
    sin_scaled_body(v, omega)
}

/// v <- sin(omega v), in place.
pub fn sin_scaled_inplace(v: &mut [f32], omega: f32) {
    let limit = REDUCTION_LIMIT / omega.abs().max(f32::MIN_POSITIVE);
    // One pass without early exit, so that it vectorises.
    // (NaN fails `<`, so it counts as outside.)
    let inside = |x: &f32| x.abs() < limit;
    if v.iter().fold(false, |bad, x| bad | !inside(x)) {
        // Huge or non-finite arguments: the library sine (NaN stays NaN).
        for x in v.iter_mut() {
            *x = (*x * omega).sin();
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features the function was compiled for.
        unsafe { sin_scaled_avx2(v, omega) };
        return;
    }
    sin_scaled_body(v, omega)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Bound on |fast sine - sin| (absolute), as the module documentation states.
    const MAX_ABS_ERROR: f64 = 4e-7;

    fn worst(ys: &[f32]) -> (f64, f32) {
        let mut v = ys.to_vec();
        sin_scaled_inplace(&mut v, 1.0);
        let mut worst = (0.0, 0.0);
        for (&y, &s) in ys.iter().zip(&v) {
            let e = (s as f64 - (y as f64).sin()).abs();
            if e > worst.0 {
                worst = (e, y);
            }
        }
        worst
    }

    #[test]
    fn within_the_documented_bound_of_the_f64_sine() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for range in [1.0f32, 4.0, 100.0, 3000.0, 38_999.0] {
            let ys: Vec<f32> = (0..400_000)
                .map(|_| rng.random_range(-range..range))
                .collect();
            let (e, y) = worst(&ys);
            assert!(e <= MAX_ABS_ERROR, "error {e:e} at {y} (range {range})");
        }
        // Multiples of pi/4 (where the reduction cancels most) and tiny arguments.
        let special: Vec<f32> = (-4000..=4000)
            .map(|k| (k as f64 * std::f64::consts::FRAC_PI_4) as f32)
            .chain([0.0, -0.0, 1e-30, -1e-20, 1e-7, f32::MIN_POSITIVE])
            .collect();
        let (e, y) = worst(&special);
        assert!(e <= MAX_ABS_ERROR, "error {e:e} at {y}");
    }

    #[test]
    fn odd_symmetry_and_the_fallback() {
        let ys: Vec<f32> = (0..1000).map(|i| i as f32 * 0.37).collect();
        let mut a = ys.clone();
        let mut b: Vec<f32> = ys.iter().map(|y| -y).collect();
        sin_scaled_inplace(&mut a, 30.0);
        sin_scaled_inplace(&mut b, 30.0);
        assert!(a.iter().zip(&b).all(|(p, q)| *p == -*q));
        // Beyond the fast path, and non-finite values: the library sine.
        let mut v = vec![1e6f32, f32::NAN, 0.5];
        sin_scaled_inplace(&mut v, 1.0);
        assert_eq!(v[0], 1e6f32.sin());
        assert!(v[1].is_nan());
        assert_eq!(v[2], 0.5f32.sin());
    }
}
