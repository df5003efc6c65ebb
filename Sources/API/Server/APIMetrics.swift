import Catalog
import CoreMetrics
import Foundation
import Metrics
import Prometheus
import SCSI

/// The API's Prometheus metrics (swift-metrics over swift-prometheus, with a registry of its
/// own rather than the process-global bootstrap, so in-process tests each get theirs):
/// requests by route and status with latency histograms, and at each scrape the catalog's
/// sizes, tasks by type and status, and drive and changer states.
final class APIMetrics: SCSICommandObserver {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                   .milliseconds(20), .milliseconds(50), .milliseconds(100),
                                                   .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)]
        // SCSI commands run from microseconds (TEST UNIT READY) to hours (a long erase).
        factory.durationHistogramBuckets["tapelib_scsi_command_duration_seconds"] = [
            .milliseconds(1), .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60),
            .seconds(300), .seconds(900), .seconds(3_600), .seconds(4 * 3_600), .seconds(12 * 3_600)]
        self.factory = factory
    }

    func request(method: String, route: String, status: Int, duration: Duration) {
        let dimensions = [("method", method), ("route", route), ("status", String(status))]
        Counter(label: "tapelib_http_requests_total", dimensions: dimensions, factory: factory).increment()
        Timer(label: "tapelib_http_request_duration_seconds", dimensions: [("method", method), ("route", route)],
              factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    /// One SCSI command the service sent: counted by command and outcome, timed by command; a
    /// CHECK CONDITION is counted by sense key, a transport failure by its code.
    func commandCompleted(_ outcome: SCSICommandOutcome) {
        let command = OperationCode.name(outcome.operationCode)
        let opcode = "0x" + String(outcome.operationCode, radix: 16, uppercase: true)
        let result: String
        if let status = outcome.status {
            result = status == .good ? "good" : (status == .checkCondition ? "check_condition" : "status_\(status.rawValue)")
        } else {
            result = "transport_error"
        }
        Counter(label: "tapelib_scsi_commands_total", dimensions: [("opcode", opcode), ("command", command), ("result", result)],
                factory: factory).increment()
        Timer(label: "tapelib_scsi_command_duration_seconds", dimensions: [("opcode", opcode), ("command", command)],
              factory: factory).recordNanoseconds(outcome.duration.nanoseconds)
        if let senseKey = outcome.senseKey {
            Counter(label: "tapelib_scsi_sense_total", dimensions: [("opcode", opcode), ("command", command),
                                                                    ("sense_key", senseKey.description)],
                    factory: factory).increment()
        }
        if let code = outcome.transportError {
            Counter(label: "tapelib_scsi_transport_errors_total", dimensions: [("opcode", opcode), ("command", command),
                                                                               ("code", code.rawValue)],
                    factory: factory).increment()
        }
    }

    /// A cacheable GET answered from the response cache (hit) or by its handler (miss).
    func responseCache(hit: Bool) {
        Counter(label: "tapelib_http_response_cache_total", dimensions: [("result", hit ? "hit" : "miss")], factory: factory)
            .increment()
    }

    /// The exposition text, with gauges read from the catalog at this scrape.
    func exposition(catalog: TapeCatalog) async -> String {
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
