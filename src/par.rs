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

/// The largest value, on all threads with `parallel`.
#[cfg(feature = "parallel")]
pub(crate) fn max(values: &[u64]) -> Option<u64> {
    use rayon::prelude::*;
    values.par_iter().copied().max()
}

/// The largest value, on all threads with `parallel`.
#[cfg(not(feature = "parallel"))]
pub(crate) fn max(values: &[u64]) -> Option<u64> {
    values.iter().copied().max()
}

/// `f` of every item, in order, on all threads with `parallel`.
#[cfg(feature = "parallel")]
pub(crate) fn map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync + Send) -> Vec<U> {
    use rayon::prelude::*;
    items.into_par_iter().map(f).collect()
}

/// `f` of every item, in order, on all threads with `parallel`.
#[cfg(not(feature = "parallel"))]
pub(crate) fn map<T, U>(items: Vec<T>, f: impl Fn(T) -> U) -> Vec<U> {
    items.into_iter().map(f).collect()
}

/// Runs `f` on every item, on all threads with `parallel`.
#[cfg(feature = "parallel")]
pub(crate) fn for_each<T: Send>(items: Vec<T>, f: impl Fn(T) + Sync + Send) {
    use rayon::prelude::*;
    items.into_par_iter().for_each(f);
}

/// Runs `f` on every item, on all threads with `parallel`.
#[cfg(not(feature = "parallel"))]
pub(crate) fn for_each<T>(items: Vec<T>, f: impl Fn(T)) {
    items.into_iter().for_each(f);
}

/// Drops `value` on another of the pool's threads with `parallel` (freeing
/// a large allocation takes a while; the caller goes on meanwhile), here
/// without.
#[cfg(feature = "parallel")]
pub(crate) fn drop_later<T: Send + 'static>(value: T) {
    rayon::spawn(move || drop(value));
}

/// Drops `value` on another of the pool's threads with `parallel` (freeing
/// a large allocation takes a while; the caller goes on meanwhile), here
/// without.
#[cfg(not(feature = "parallel"))]
pub(crate) fn drop_later<T>(value: T) {
    drop(value);
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
