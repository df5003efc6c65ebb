import Foundation
import HTTPTypes
import Hummingbird
import LibraryService
import NIOCore

/// The seed's envelope, on every answer: `{"data", "errors", "is_error", "message"}`, and on
/// an error the stable `code` (LibraryService.ServiceErrorCode) beside them.
struct Envelope<Payload: Encodable>: Encodable {
    var data: Payload?
    var errors: [String: String] = [:]
    var isError = false
    var message = ""
    var code: String?

    enum CodingKeys: String, CodingKey { case data, errors, isError = "is_error", message, code }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if let data { try container.encode(data, forKey: .data) } else { try container.encodeNil(forKey: .data) }
        try container.encode(errors, forKey: .errors)
        try container.encode(isError, forKey: .isError)
        try container.encode(message, forKey: .message)
        if let code { try container.encode(code, forKey: .code) }
    }
}

/// An empty payload (`data: null`).
struct NoData: Encodable {}

/// JSON as the API wrote it with Foundation: snake_case keys, ISO 8601 dates, sorted keys. Answers
/// are written by `StreamingJSONEncoder` (the same values); this one writes error envelopes and
/// is the reference the streaming one is tested against.
enum APIJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// A refusal with the seed's field errors, as the API answers it.
struct APIError: Error, Sendable {
    var error: ServiceError
    var fields: [String: String]
    /// Data of the error answer (the unregistered volume tags of a 422 sync).
    var data: [String: [String]]?

    init(_ code: ServiceErrorCode, _ message: String, fields: [String: String] = [:], data: [String: [String]]? = nil) {
        self.error = ServiceError(code, message); self.fields = fields; self.data = data
    }

    init(_ error: ServiceError) {
        self.error = error; self.fields = [:]; self.data = nil
    }

    var status: HTTPResponse.Status { .init(code: error.code.httpStatus) }
}

extension Response {
    /// A JSON answer in the envelope.
    static func envelope<T: Encodable>(_ data: T?, status: HTTPResponse.Status = .ok, message: String = "",
                                       headers: HTTPFields = [:]) throws -> Response {
        let bytes = try StreamingJSONEncoder().encode(Envelope(data: data, message: message))
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func json(_ bytes: Data, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The envelope of an error (never fails: the payload is plain strings).
    static func failure(_ error: APIError, headers: HTTPFields = [:]) -> Response {
        var envelope = Envelope(data: error.data, errors: error.fields, isError: true, message: error.error.message,
                                code: error.error.code.rawValue)
        if let sense = error.error.sense {
            envelope.errors["sense"] = sense.line
        }
        let bytes = (try? APIJSON.encoder().encode(envelope)) ?? Data(#"{"data":null,"errors":{},"is_error":true,"message":"error"}"#.utf8)
        return json(bytes, status: error.status, headers: headers)
    }
}
