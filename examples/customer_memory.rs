//! Memory per customer record, counted by a global allocator.
//!
//! ```text
//! cargo run --release --example customer_memory -- [--customers 100000] [--sim 1000000]
//! ```
//!
//! Builds `--customers` typical records (id, birthday, both opt-ins, two
//! tags, two custom attributes: a short text and a number) into a
//! [`Customers`] list and prints the bytes each costs: its inline size plus
//! the heap bytes it asked for (allocator bookkeeping and rounding are not
//! counted). Then generates a simulated shop of `--sim` customers (`0`
//! skips it) and prints what its customer records take, measured as the
//! bytes a `clone` of the list allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Parser;
use rfmkit::customer::{Birthday, Customer, Customers};
use rfmkit::sim::SimConfig;

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to `System` with the same arguments; the
// counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

const PREFECTURES: [&str; 4] = ["tokyo", "osaka", "hokkaido", "fukuoka"];

/// A typical record: id, birthday, opt-ins, two tags, two attributes.
fn typical(i: usize) -> Result<Customer, rfmkit::Error> {
    let month = u8::try_from(i % 12 + 1).unwrap_or(1);
    let day = u8::try_from(i % 28 + 1).unwrap_or(1);
    Ok(Customer::new(format!("C{i:08}"))
        .with_birthday(Birthday::new(month, day)?)
        .with_email_opt_in(i % 2 == 0)
        .with_sms_opt_in(i % 3 == 0)
        .with_tag("newsletter")
        .with_tag(if i % 20 == 0 { "vip" } else { "app" })
        .with_attribute(
            "prefecture",
            PREFECTURES
                .get(i % PREFECTURES.len())
                .copied()
                .unwrap_or("tokyo"),
        )
        .with_attribute("points", (i % 5_000) as f64))
}

/// Bytes per customer record: typical records, then a simulated shop's.
#[derive(Debug, Parser)]
struct Args {
    /// Typical records to build.
    #[arg(long, default_value_t = 100_000)]
    customers: usize,
    /// Customers of the simulated shop to measure (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    sim: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Args { customers: n, sim } = Args::parse();

    println!(
        "size_of::<Customer>() = {} bytes",
        std::mem::size_of::<Customer>()
    );
    // Everything the list holds: the vector of records and their heap.
    let base = live();
    let mut records = Vec::with_capacity(n);
    for i in 0..n {
        records.push(typical(i)?);
    }
    let customers = Customers::new(records)?;
    let total = live().saturating_sub(base);
    println!(
        "typical records: {n} customers, {total} bytes, {:.1} bytes per customer",
        total as f64 / n.max(1) as f64
    );
    drop(customers);

    if sim > 0 {
        let shop = SimConfig::builder()
            .customers(sim)
            .orders(sim)
            .build()?
            .generate();
        let (customers, orders) = shop.into_parts();
        drop(orders);
        let base = live();
        let copy = customers.clone();
        let total = live().saturating_sub(base);
        println!(
            "sim records: {} customers, {total} bytes ({:.1} MB), {:.1} bytes per customer",
            copy.len(),
            total as f64 / 1e6,
            total as f64 / copy.len().max(1) as f64
        );
    }
    Ok(())
}
