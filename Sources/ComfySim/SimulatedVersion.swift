import ComfyRules
import Workflow

/// Which recorded ComfyUI the simulator answers as (Docs/comfyui-versions.md lists the differences).
public enum SimulatedVersion: String, Sendable, CaseIterable {
  /// ComfyUI 0.3.64 (October 2025), frontend 1.27.10.
  case comfyUI0_3_64 = "0.3.64"
  /// ComfyUI 0.33.0 (August 2026), frontend 1.49.6: the jobs API, node replacements, 0.33's validation.
  case comfyUI0_33 = "0.33.0"

  /// `0.3`, `0.3.64`, `0.33`, `0.33.0`; nil for other text.
  public init?(option: String) {
    switch option {
    case "0.3", "0.3.64": self = .comfyUI0_3_64
    case "0.33", "0.33.0": self = .comfyUI0_33
    default: return nil
    }
  }

  public var version: String { rawValue }
  var frontendVersion: String { self == .comfyUI0_33 ? "1.49.6" : "1.27.10" }
  var rules: ValidationRules { self == .comfyUI0_33 ? .comfyUI0_33 : .comfyUI0_3 }
  var isCurrent: Bool { self == .comfyUI0_33 }

  /// `GET /features`, also the `feature_flags` reply on the socket.
  var serverFeatures: JSONValue {
    var features: JSONObject = [
      "supports_preview_metadata": true, "max_upload_size": .number(JSONNumber(104_857_600)),
    ]
    if isCurrent {
      features = [
        "supports_preview_metadata": true, "supports_model_type_tags": true,
        "max_upload_size": .number(JSONNumber(104_857_600)),
        "extension": ["manager": ["supports_v4": true]], "node_replacements": true, "assets": false,
      ]
    }
    return .object(features)
  }
}
