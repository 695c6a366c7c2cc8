//! rfmkit's `rfm_summary` aggregate on an [Apache DataFusion Ballista]
//! cluster: extension codecs that carry the function (with its as-of date)
//! inside the serialized plans, and the configurations of a scheduler, an
//! executor and a client that use them.
//!
//! [Apache DataFusion Ballista]: https://datafusion.apache.org/ballista/
//!
//! # How the function reaches the executors
//!
//! Ballista sends plans as protobuf: the client sends the logical plan to the
//! scheduler, the scheduler sends each stage's physical plan to executors.
//! DataFusion's protobuf format names an aggregate function and lets an
//! extension codec add bytes of its own (`fun_definition`). [`RfmLogicalCodec`]
//! and [`RfmPhysicalCodec`] wrap Ballista's codecs and write
//! `rfm_summary`'s as-of date into those bytes; on decoding they rebuild
//! [`RfmSummary::new(as_of)`](rfmkit_datafusion::RfmSummary::new). So:
//!
//! - executors and the scheduler need the codecs compiled in, but no as-of
//!   date and no registration: one executor binary serves queries for any
//!   as-of date;
//! - the client registers `rfm_summary` for its as-of date (the SQL planner
//!   needs it) and sets the codecs on its session ([`client_config`]).
//!
//! Every other function is left to Ballista's codecs and registries
//! (resolved by name, as usual).
//!
//! # Example
//!
//! Start a scheduler and executors built from [`scheduler_config`] and
//! [`executor_config`] (the `rfmkit-ballista` binary does that), then:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use chrono::NaiveDate;
//!
//! let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("bad date")?;
//! let ctx = rfmkit_ballista::connect("df://localhost:50050", as_of, 8).await?;
//! ctx.register_parquet("orders", "orders/", Default::default()).await?;
//! let batches = ctx
//!     .sql("SELECT customer_id, rfm_summary(order_date, amount, status) FROM orders GROUP BY customer_id")
//!     .await?
//!     .collect()
//!     .await?;
//! // then rfmkit_datafusion::run(&batches, as_of, ...)
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::sync::Arc;

use ballista::prelude::SessionContextExt as _;
use ballista_core::extension::SessionConfigExt as _;
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use ballista_executor::executor_process::ExecutorProcessConfig;
use ballista_scheduler::config::SchedulerConfig;
use chrono::NaiveDate;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::{SessionStateBuilder, TaskContext};
use datafusion::logical_expr::{
    AggregateUDF, Extension, HigherOrderUDF, LogicalPlan, ScalarUDF, WindowUDF,
};
use datafusion::physical_expr_common::physical_expr::proto_decode::PhysicalExprDecodeCtx;
use datafusion::physical_expr_common::physical_expr::proto_encode::PhysicalExprEncodeCtx;
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use rfmkit_datafusion::{NAME, RfmSummary};

/// The prefix of `rfm_summary`'s encoded definition; the as-of date
/// (ISO 8601, `YYYY-MM-DD`) follows. Versioned so that a later format can
/// be told apart.
pub const DEFINITION_PREFIX: &str = "rfmkit.rfm_summary.v1;as_of=";

/// Writes the definition of `udaf` into `buf` if it is rfmkit's
/// `rfm_summary`, and returns whether it was.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit_datafusion::RfmSummary;
///
/// let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("bad date")?;
/// let mut buf = Vec::new();
/// assert!(rfmkit_ballista::encode_definition(&RfmSummary::new(as_of).udaf(), &mut buf));
/// assert_eq!(buf, b"rfmkit.rfm_summary.v1;as_of=2026-01-01");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_definition(udaf: &AggregateUDF, buf: &mut Vec<u8>) -> bool {
    match udaf.inner().downcast_ref::<RfmSummary>() {
        Some(f) => {
            buf.extend_from_slice(DEFINITION_PREFIX.as_bytes());
            buf.extend_from_slice(f.as_of().to_string().as_bytes());
            true
        }
        None => false,
    }
}

/// The `rfm_summary` function of an encoded definition (see
/// [`encode_definition`]).
///
/// # Errors
///
/// [`DataFusionError::Plan`] naming the function and the bytes when `buf`
/// is not a definition written by [`encode_definition`] — in particular
/// when it is empty: the plan was serialized without [`RfmLogicalCodec`]
/// / [`RfmPhysicalCodec`], so the as-of date is unknown.
///
/// # Example
///
/// ```
/// let f = rfmkit_ballista::decode_definition(b"rfmkit.rfm_summary.v1;as_of=2026-01-01")?;
/// assert_eq!(f.name(), "rfm_summary");
/// assert!(rfmkit_ballista::decode_definition(b"").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_definition(buf: &[u8]) -> Result<Arc<AggregateUDF>> {
    let as_of = std::str::from_utf8(buf)
        .ok()
        .and_then(|text| text.strip_prefix(DEFINITION_PREFIX))
        .and_then(|date| date.parse::<NaiveDate>().ok());
    match as_of {
        Some(as_of) => {
            log::debug!("{NAME}: decoded with as-of date {as_of}");
            Ok(Arc::new(RfmSummary::new(as_of).udaf()))
        }
        None if buf.is_empty() => Err(DataFusionError::Plan(format!(
            "{NAME}: the plan carries no definition (as-of date) for the function; serialize it \
             with rfmkit_ballista's codecs (client: rfmkit_ballista::client_config)"
        ))),
        None => Err(DataFusionError::Plan(format!(
            "{NAME}: cannot read the function's definition {:?}; expected \
             \"{DEFINITION_PREFIX}YYYY-MM-DD\" (client and executors from different rfmkit \
             releases?)",
            String::from_utf8_lossy(buf)
        ))),
    }
}

/// A [`LogicalExtensionCodec`] that encodes `rfm_summary` with its as-of
/// date and hands everything else to an inner codec (Ballista's by
/// default).
///
/// # Example
///
/// ```
/// use datafusion_proto::logical_plan::LogicalExtensionCodec as _;
///
/// let codec = rfmkit_ballista::RfmLogicalCodec::default();
/// let f = codec.try_decode_udaf("rfm_summary", b"rfmkit.rfm_summary.v1;as_of=2026-01-01")?;
/// assert_eq!(f.name(), "rfm_summary");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RfmLogicalCodec {
    inner: Arc<dyn LogicalExtensionCodec>,
}

impl RfmLogicalCodec {
    /// The codec around `inner`, which handles every node and function but
    /// `rfm_summary`.
    #[must_use]
    pub fn new(inner: Arc<dyn LogicalExtensionCodec>) -> RfmLogicalCodec {
        RfmLogicalCodec { inner }
    }
}

impl Default for RfmLogicalCodec {
    /// Around Ballista's `BallistaLogicalExtensionCodec`.
    fn default() -> RfmLogicalCodec {
        RfmLogicalCodec::new(Arc::new(BallistaLogicalExtensionCodec::default()))
    }
}

impl LogicalExtensionCodec for RfmLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.inner
            .try_decode_table_provider(buf, table_ref, schema, ctx)
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.inner.try_decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_higher_order_function(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<HigherOrderUDF>> {
        self.inner.try_decode_higher_order_function(name, buf)
    }

    fn try_encode_higher_order_function(
        &self,
        node: &HigherOrderUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_higher_order_function(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        if name == NAME {
            decode_definition(buf)
        } else {
            self.inner.try_decode_udaf(name, buf)
        }
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        if encode_definition(node, buf) {
            Ok(())
        } else {
            self.inner.try_encode_udaf(node, buf)
        }
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// A [`PhysicalExtensionCodec`] that encodes `rfm_summary` with its as-of
/// date and hands everything else to an inner codec (Ballista's by
/// default).
///
/// Aggregates inside Ballista's own plan nodes (its window operators) are
/// decoded by Ballista's codec, which does not know this function: use
/// `rfm_summary` as a `GROUP BY` aggregate, not as a window function.
///
/// # Example
///
/// ```
/// use datafusion_proto::physical_plan::PhysicalExtensionCodec as _;
///
/// let codec = rfmkit_ballista::RfmPhysicalCodec::default();
/// let f = codec.try_decode_udaf("rfm_summary", b"rfmkit.rfm_summary.v1;as_of=2026-01-01")?;
/// assert_eq!(f.name(), "rfm_summary");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RfmPhysicalCodec {
    inner: Arc<dyn PhysicalExtensionCodec>,
}

impl RfmPhysicalCodec {
    /// The codec around `inner`, which handles every node and function but
    /// `rfm_summary`.
    #[must_use]
    pub fn new(inner: Arc<dyn PhysicalExtensionCodec>) -> RfmPhysicalCodec {
        RfmPhysicalCodec { inner }
    }
}

impl Default for RfmPhysicalCodec {
    /// Around Ballista's `BallistaPhysicalExtensionCodec`.
    fn default() -> RfmPhysicalCodec {
        RfmPhysicalCodec::new(Arc::new(BallistaPhysicalExtensionCodec::default()))
    }
}

impl PhysicalExtensionCodec for RfmPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.inner.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.inner.try_decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_higher_order_function(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<HigherOrderUDF>> {
        self.inner.try_decode_higher_order_function(name, buf)
    }

    fn try_encode_higher_order_function(
        &self,
        node: &HigherOrderUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_higher_order_function(node, buf)
    }

    fn try_decode_expr(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn PhysicalExpr>],
        ctx: &PhysicalExprDecodeCtx<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        self.inner.try_decode_expr(buf, inputs, ctx)
    }

    fn try_encode_expr(
        &self,
        node: &Arc<dyn PhysicalExpr>,
        buf: &mut Vec<u8>,
        ctx: &PhysicalExprEncodeCtx<'_>,
    ) -> Result<()> {
        self.inner.try_encode_expr(node, buf, ctx)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        if name == NAME {
            decode_definition(buf)
        } else {
            self.inner.try_decode_udaf(name, buf)
        }
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        if encode_definition(node, buf) {
            Ok(())
        } else {
            self.inner.try_encode_udaf(node, buf)
        }
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// A client's session configuration: Ballista's, with
/// `target_partitions` and the rfmkit codecs.
///
/// # Example
///
/// ```
/// let config = rfmkit_ballista::client_config(8);
/// assert_eq!(config.target_partitions(), 8);
/// ```
#[must_use]
pub fn client_config(target_partitions: usize) -> SessionConfig {
    SessionConfig::new_with_ballista()
        .with_target_partitions(target_partitions)
        .with_ballista_logical_extension_codec(Arc::new(RfmLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(RfmPhysicalCodec::default()))
}

/// Connects to the scheduler at `url` (`df://host:port`) with
/// [`client_config`] and `rfm_summary` registered as of `as_of`.
///
/// # Errors
///
/// Ballista's, for a malformed URL (the connection itself is opened by the
/// first query).
pub async fn connect(
    url: &str,
    as_of: NaiveDate,
    target_partitions: usize,
) -> Result<SessionContext> {
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(client_config(target_partitions))
        .build();
    let ctx = SessionContext::remote_with_state(url, state).await?;
    rfmkit_datafusion::register(&ctx, as_of);
    Ok(ctx)
}

/// A scheduler listening on `bind_host:port`, with the rfmkit codecs and
/// Ballista's defaults otherwise (no as-of date: it comes with each plan).
///
/// # Example
///
/// ```
/// let config = rfmkit_ballista::scheduler_config("127.0.0.1", 50050);
/// assert!(config.override_logical_codec.is_some() && config.override_physical_codec.is_some());
/// ```
#[must_use]
pub fn scheduler_config(bind_host: &str, port: u16) -> SchedulerConfig {
    SchedulerConfig {
        bind_host: bind_host.to_owned(),
        bind_port: port,
        override_logical_codec: Some(Arc::new(RfmLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(RfmPhysicalCodec::default())),
        ..SchedulerConfig::default()
    }
}

/// An executor with the rfmkit codecs that runs `concurrent_tasks` tasks
/// at a time, serves shuffle data (Arrow Flight) on `port` and takes tasks
/// on `grpc_port`; Ballista's defaults otherwise. Set `scheduler_host` /
/// `scheduler_port` and the `bind_host` on the result as needed.
///
/// # Example
///
/// ```
/// let config = rfmkit_ballista::executor_config(50051, 50052, 1);
/// assert_eq!((config.port, config.grpc_port, config.vcores), (50051, 50052, 1));
/// ```
#[must_use]
pub fn executor_config(
    port: u16,
    grpc_port: u16,
    concurrent_tasks: usize,
) -> ExecutorProcessConfig {
    ExecutorProcessConfig {
        port,
        grpc_port,
        vcores: concurrent_tasks,
        // Retry while the scheduler starts (Ballista's default, 0, tries once).
        scheduler_connect_timeout_seconds: 30,
        override_logical_codec: Some(Arc::new(RfmLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(RfmPhysicalCodec::default())),
        ..ExecutorProcessConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_round_trips_the_as_of_date() {
        let as_of = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let mut buf = Vec::new();
        assert!(encode_definition(&RfmSummary::new(as_of).udaf(), &mut buf));
        let f = decode_definition(&buf).unwrap();
        assert_eq!(
            f.inner().downcast_ref::<RfmSummary>().unwrap().as_of(),
            as_of
        );
    }

    #[test]
    fn other_functions_are_left_to_the_inner_codec() {
        let count = datafusion::functions_aggregate::count::count_udaf();
        let mut buf = Vec::new();
        assert!(!encode_definition(&count, &mut buf));
        RfmLogicalCodec::default()
            .try_encode_udaf(&count, &mut buf)
            .unwrap();
        RfmPhysicalCodec::default()
            .try_encode_udaf(&count, &mut buf)
            .unwrap();
        assert!(buf.is_empty());
    }

    #[test]
    fn bad_definitions_are_errors_that_say_why() {
        let empty = decode_definition(b"").unwrap_err().to_string();
        assert!(empty.contains("no definition"), "{empty}");
        let bad = decode_definition(b"rfmkit.rfm_summary.v1;as_of=2026-13-01")
            .unwrap_err()
            .to_string();
        assert!(bad.contains("2026-13-01"), "{bad}");
        let codec = RfmPhysicalCodec::default();
        assert!(codec.try_decode_udaf(NAME, b"v0").is_err());
    }
}
