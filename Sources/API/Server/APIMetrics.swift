import Catalog
import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The API's Prometheus metrics (swift-metrics over swift-prometheus, with a registry of its
/// own rather than the process-global bootstrap, so in-process tests each get theirs):
/// requests by route and status with latency histograms, and at each scrape the catalog's
/// sizes, tasks by type and status, and drive and changer states.
final class APIMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                   .milliseconds(20), .milliseconds(50), .milliseconds(100),
                                                   .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)]
        self.factory = factory
    }

    func request(method: String, route: String, status: Int, duration: Duration) {
        let dimensions = [("method", method), ("route", route), ("status", String(status))]
        Counter(label: "tapelib_http_requests_total", dimensions: dimensions, factory: factory).increment()
        Timer(label: "tapelib_http_request_duration_seconds", dimensions: [("method", method), ("route", route)],
              factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    /// The exposition text, with gauges read from the catalog at this scrape.
    func exposition(catalog: CatalogDatabase) async -> String {
        if let snapshot = try? await catalog.metricsSnapshot() {
            for (table, count) in snapshot.tableSizes {
                Gauge(label: "tapelib_catalog_rows", dimensions: [("table", table)], factory: factory).record(count)
            }
            for row in snapshot.tasks {
                Gauge(label: "tapelib_tasks", dimensions: [("type", row.type), ("status", row.status)], factory: factory)
                    .record(row.count)
                if let seconds = row.averageSeconds {
                    Gauge(label: "tapelib_task_duration_seconds_avg", dimensions: [("type", row.type), ("status", row.status)],
                          factory: factory).record(seconds)
                }
            }
            for (state, count) in snapshot.driveStates {
                Gauge(label: "tapelib_drives", dimensions: [("state", state)], factory: factory).record(count)
            }
            for (state, count) in snapshot.changerStates {
                Gauge(label: "tapelib_changers", dimensions: [("state", state)], factory: factory).record(count)
            }
        }
        return registry.emitToString()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
