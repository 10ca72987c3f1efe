import ComfyRules
import Workflow

/// The recorded catalog (`object_info.json`, ComfyUI 0.3.64), parsed once for all tests.
public enum CatalogFixtures {
  private static let parsedFull: Result<Catalog, any Error> = Result {
    try Catalog(objectInfoBytes: Fixtures.read("object_info.json"), comfyUIVersion: "0.3.64")
  }

  /// The recorded catalog; a test that reads it carries `needsFixtures`, and a parse failure fails it.
  public static var full: Catalog {
    get throws { try parsedFull.get() }
  }

  private static let parsed033: Result<Catalog, any Error> = Result {
    try Catalog(objectInfoBytes: Fixtures.comfyUI_0_33.read("object_info.json"), comfyUIVersion: "0.33.0")
  }

  /// The catalog recorded from ComfyUI 0.33.0 (887 classes); tests that read it carry `needsFixtures033`.
  public static var full033: Catalog {
    get throws { try parsed033.get() }
  }

  /// The two ways a session holds a catalog: parsed whole (`--catalog` the first time, a fetch) or
  /// opened from a `CatalogFile` and parsed a class at a time (the cache); conformance runs on both.
  public enum Form: String, CaseIterable, Sendable {
    case parsed, catalogFile
  }

  private static let fullCatalogFile: Result<String, any Error> = Result {
    let path = TemporaryFolder.make(prefix: "comfysh-catalog-file") + "/object_info.catalog"
    try FileIO.writeAtomically(path, CatalogFile.encode(try parsedFull.get()))
    return path
  }

  /// The recorded catalog in the given form; `.catalogFile` is opened afresh, so no class is parsed yet.
  public static func full(_ form: Form) throws -> Catalog {
    switch form {
    case .parsed: return try parsedFull.get()
    case .catalogFile:
      return try CatalogFile.open(try fullCatalogFile.get()).catalog(comfyUIVersion: "0.3.64")
    }
  }

  /// A hand-written catalog in both object_info syntaxes, for tests that need no fixtures.
  public static let small: Catalog = {
    let text = #"""
      {
        "EmptyImage": {"input": {"required": {
            "width": ["INT", {"default": 512, "min": 1, "max": 16384, "step": 1}],
            "height": ["INT", {"default": 512, "min": 1, "max": 16384, "step": 1}],
            "batch_size": ["INT", {"default": 1, "min": 1, "max": 4096}],
            "color": ["INT", {"default": 0, "min": 0, "max": 16777215, "step": 1, "display": "color"}]}},
          "input_order": {"required": ["width", "height", "batch_size", "color"]},
          "output": ["IMAGE"], "output_is_list": [false], "output_name": ["IMAGE"], "name": "EmptyImage",
          "display_name": "EmptyImage", "description": "", "python_module": "nodes", "category": "image",
          "output_node": false},
        "ImageInvert": {"input": {"required": {"image": ["IMAGE"]}}, "input_order": {"required": ["image"]},
          "output": ["IMAGE"], "output_is_list": [false], "output_name": ["IMAGE"], "name": "ImageInvert",
          "display_name": "Invert Image", "description": "", "python_module": "nodes", "category": "image",
          "output_node": false},
        "ImageScale": {"input": {"required": {"image": ["IMAGE"],
            "upscale_method": [["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]],
            "width": ["INT", {"default": 512, "min": 0, "max": 16384, "step": 1}],
            "height": ["INT", {"default": 512, "min": 0, "max": 16384, "step": 1}],
            "crop": [["disabled", "center"]]}},
          "input_order": {"required": ["image", "upscale_method", "width", "height", "crop"]},
          "output": ["IMAGE"], "output_is_list": [false], "output_name": ["IMAGE"], "name": "ImageScale",
          "display_name": "Upscale Image", "description": "", "python_module": "nodes",
          "category": "image/upscaling", "output_node": false},
        "GetImageSize": {"input": {"required": {"image": ["IMAGE", {}]}, "hidden": {"unique_id": ["UNIQUE_ID"]}},
          "input_order": {"required": ["image"], "hidden": ["unique_id"]},
          "output": ["INT", "INT", "INT"], "output_is_list": [false, false, false],
          "output_name": ["width", "height", "batch_size"], "output_tooltips": [null, null, null],
          "name": "GetImageSize", "display_name": "Get Image Size", "description": "",
          "python_module": "comfy_extras.nodes_images", "category": "image", "output_node": false,
          "deprecated": false, "experimental": false, "api_node": false},
        "KSamplerLike": {"input": {"required": {
            "seed": ["INT", {"default": 0, "min": 0, "max": 18446744073709551615, "control_after_generate": true}],
            "cfg": ["FLOAT", {"default": 8.0, "min": 0.0, "max": 100.0, "step": 0.1, "round": 0.01}],
            "sampler_name": [["euler", "euler_ancestral", "heun", "dpmpp_2m", "dpmpp_2m_sde", "ddim", "uni_pc"]],
            "model": ["MODEL"]},
            "optional": {"denoise": ["FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01}],
              "add_noise": ["BOOLEAN", {"default": true}], "note": ["STRING", {"multiline": true, "dynamicPrompts": true}],
              "mask": ["MASK,IMAGE"]}},
          "input_order": {"required": ["model", "seed", "cfg", "sampler_name"], "optional": ["denoise", "add_noise", "note", "mask"]},
          "output": ["LATENT"], "output_is_list": [false], "output_name": ["LATENT"], "name": "KSamplerLike",
          "display_name": "KSampler Like", "description": "", "python_module": "nodes", "category": "sampling",
          "output_node": false},
        "UpscaleModelLoader": {"input": {"required": {"model_name": ["COMBO", {"multiselect": false, "options": ["tiny-compact-x2.safetensors"]}]}},
          "input_order": {"required": ["model_name"]}, "output": ["UPSCALE_MODEL"], "output_is_list": [false],
          "output_name": ["UPSCALE_MODEL"], "output_tooltips": [null], "name": "UpscaleModelLoader",
          "display_name": "Load Upscale Model", "description": "", "python_module": "comfy_extras.nodes_upscale_model",
          "category": "loaders", "output_node": false, "deprecated": false, "experimental": false, "api_node": false},
        "LoadImage": {"input": {"required": {"image": [["cat.png", "dog.png"], {"image_upload": true}]}},
          "input_order": {"required": ["image"]}, "output": ["IMAGE", "MASK"], "output_is_list": [false, false],
          "output_name": ["IMAGE", "MASK"], "name": "LoadImage", "display_name": "Load Image", "description": "",
          "python_module": "nodes", "category": "image", "output_node": false},
        "SaveImage": {"input": {"required": {"images": ["IMAGE", {"tooltip": "The images to save."}],
            "filename_prefix": ["STRING", {"default": "ComfyUI"}]},
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}},
          "input_order": {"required": ["images", "filename_prefix"], "hidden": ["prompt", "extra_pnginfo"]},
          "output": [], "output_is_list": [], "output_name": [], "name": "SaveImage", "display_name": "Save Image",
          "description": "Saves the input images.", "python_module": "nodes", "category": "image", "output_node": true},
        "PreviewAny": {"input": {"required": {"source": ["*", {}]}}, "input_order": {"required": ["source"]},
          "output": [], "output_is_list": [], "output_name": [], "name": "PreviewAny", "display_name": "Preview Any",
          "description": "", "python_module": "comfy_extras.nodes_preview_any", "category": "utils", "output_node": true},
        "PaidNode": {"input": {"required": {"prompt": ["STRING", {"multiline": true, "default": ""}]},
            "hidden": {"auth_token_comfy_org": ["AUTH_TOKEN_COMFY_ORG"], "api_key_comfy_org": ["API_KEY_COMFY_ORG"]}},
          "input_order": {"required": ["prompt"], "hidden": ["auth_token_comfy_org", "api_key_comfy_org"]},
          "output": ["IMAGE"], "output_is_list": [false], "output_name": ["IMAGE"], "output_tooltips": [null],
          "name": "PaidNode", "display_name": "Paid Node", "description": "", "python_module": "comfy_api_nodes.x",
          "category": "api node", "output_node": false, "deprecated": false, "experimental": false, "api_node": true}
      }
      """#
    // A test fixture written in this file: a parse failure is a bug in the test itself.
    return try! Catalog(objectInfo: JSONValue.parse(text))
  }()
}
