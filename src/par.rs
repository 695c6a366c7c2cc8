//! Crate-private helpers that run on all threads with the `parallel`
//! feature and on the calling thread without it, with identical results.

/// `f(0), f(1), …, f(n − 1)`, on all threads with `parallel`.
#[cfg(feature = "parallel")]
pub(crate) fn column<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    use rayon::prelude::*;
    (0..n).into_par_iter().map(f).collect()
}

/// `f(0), f(1), …, f(n − 1)`, on all threads with `parallel`.
#[cfg(not(feature = "parallel"))]
pub(crate) fn column<T>(n: usize, f: impl Fn(usize) -> T) -> Vec<T> {
    (0..n).map(f).collect()
}

/// Runs three closures, in parallel with `parallel`.
#[cfg(feature = "parallel")]
pub(crate) fn join3<A: Send, B: Send, C: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
    c: impl FnOnce() -> C + Send,
) -> (A, B, C) {
    let (a, (b, c)) = rayon::join(a, || rayon::join(b, c));
    (a, b, c)
}

/// Runs three closures, in parallel with `parallel`.
#[cfg(not(feature = "parallel"))]
pub(crate) fn join3<A, B, C>(
    a: impl FnOnce() -> A,
    b: impl FnOnce() -> B,
    c: impl FnOnce() -> C,
) -> (A, B, C) {
    (a(), b(), c())
}

/// The threads the pipeline runs on: the current rayon pool's with
/// `parallel`.
#[cfg(feature = "parallel")]
pub(crate) fn threads() -> usize {
    rayon::current_num_threads()
}

/// The threads the pipeline runs on: one without `parallel`.
#[cfg(not(feature = "parallel"))]
pub(crate) fn threads() -> usize {
    1
}
