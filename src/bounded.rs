//! Preallocation that never trusts a size hint or a caller's count.
//!
//! `Vec::from_iter`, `Vec::extend` and the std maps reserve an iterator's
//! `size_hint().0` up front; an iterator whose hint lies (`(usize::MAX,
//! None)`) makes them abort with "capacity overflow" before a single item
//! is read. Every public entry point that takes an iterator wraps it in
//! [`bounded`], which caps the hint at [`MAX_PREALLOC`] items; beyond that
//! the collection grows as items actually arrive. Counts from callers
//! (configs, simulator sizes) go through [`capacity`].

/// The most items reserved ahead of time from a hint or a count: 2^20.
pub(crate) const MAX_PREALLOC: usize = 1 << 20;

/// A count to reserve, capped at [`MAX_PREALLOC`].
pub(crate) fn capacity(count: usize) -> usize {
    count.min(MAX_PREALLOC)
}

/// An iterator adapter whose size hint's lower bound is capped at
/// [`MAX_PREALLOC`]; the items are unchanged.
#[derive(Debug, Clone)]
pub(crate) struct Bounded<I>(I);

/// Wraps `iter` so that collecting it reserves at most [`MAX_PREALLOC`]
/// items ahead.
pub(crate) fn bounded<I: IntoIterator>(iter: I) -> Bounded<I::IntoIter> {
    Bounded(iter.into_iter())
}

impl<I: Iterator> Iterator for Bounded<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = self.0.size_hint();
        (capacity(low), high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields `n` items but claims `usize::MAX`.
    struct Liar(usize);

    impl Iterator for Liar {
        type Item = usize;
        fn next(&mut self) -> Option<usize> {
            self.0 = self.0.checked_sub(1)?;
            Some(self.0)
        }
        fn size_hint(&self) -> (usize, Option<usize>) {
            (usize::MAX, None)
        }
    }

    #[test]
    fn a_lying_hint_is_capped_and_items_pass_through() {
        assert_eq!(bounded(Liar(3)).size_hint(), (MAX_PREALLOC, None));
        let v: Vec<usize> = bounded(Liar(3)).collect();
        assert_eq!(v, [2, 1, 0]);
        assert_eq!(bounded(0..10).size_hint(), (10, Some(10)));
        assert_eq!(capacity(usize::MAX), MAX_PREALLOC);
        assert_eq!(capacity(5), 5);
    }
}
