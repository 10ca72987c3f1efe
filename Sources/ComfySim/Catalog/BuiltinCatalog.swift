import ComfyRules
import Workflow

/// The simulator's own node catalog, in the shape of `GET /object_info`. Types, ranges, defaults
/// and choices follow ComfyUI 0.3.64 so that workflows written for it validate the same way; the
/// descriptions are the simulator's own words. Built in code (no resource files) so a static binary
/// carries it.
enum BuiltinCatalog {
  /// The digest of the built-in classes as this build defines them (without input files), taken once.
  static func digest(_ version: SimulatedVersion) -> String {
    version == .comfyUI0_33 ? digest0_33 : digest0_3
  }
  private static let digest0_3 = ShortDigest.hex(
    JSONValue.object(objectInfo(inputFiles: [], version: .comfyUI0_3_64)).serialized())
  private static let digest0_33 = ShortDigest.hex(
    JSONValue.object(objectInfo(inputFiles: [], version: .comfyUI0_33)).serialized())

  /// Model files the simulator pretends to have, per ComfyUI model folder.
  static let models: [String: [String]] = [
    "checkpoints": ["sim-checkpoint.safetensors"],
    // The second name is the model the fixtures were recorded with, so recorded workflows replay.
    "upscale_models": ["sim-upscale-x2.safetensors", "tiny-compact-x2.safetensors"],
  ]

  /// ComfyUI's model folder names, as `GET /models` lists them.
  static let modelFolders = [
    "checkpoints", "configs", "loras", "vae", "text_encoders", "diffusion_models", "clip_vision",
    "style_models", "embeddings", "diffusers", "vae_approx", "controlnet", "gligen", "upscale_models",
    "custom_nodes", "hypernetworks", "photomaker", "classifiers", "model_patches", "audio_encoders",
  ]

  static let samplers: [String] = [
    "euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2", "dpm_2",
    "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp",
    "dpmpp_sde", "dpmpp_sde_gpu", "dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu",
    "dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm", "ipndm",
    "ipndm_v", "deis", "res_multistep", "res_multistep_cfg_pp", "res_multistep_ancestral",
    "res_multistep_ancestral_cfg_pp", "gradient_estimation", "gradient_estimation_cfg_pp", "er_sde",
    "seeds_2",
    "seeds_3", "sa_solver", "sa_solver_pece", "ddim", "uni_pc", "uni_pc_bh2",
  ]

  static let schedulers: [String] = [
    "simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic",
    "kl_optimal",
  ]

  /// The whole document. `inputFiles` are the image files directly in input/, LoadImage's choices.
  static func objectInfo(inputFiles: [String], version: SimulatedVersion) -> JSONObject {
    var out = JSONObject()
    var specs = nodes(inputFiles: inputFiles)
    if version == .comfyUI0_33 { specs += v3Nodes }
    for node in specs {
      var json = node.json
      // 0.4 and later write these on every class.
      if version == .comfyUI0_33 {
        json["search_aliases"] = .array(node.searchAliases.map { .string($0) })
        json["is_input_list"] = false
        json["has_intermediate_output"] = false
        if node.v3 {
          json["output_matchtypes"] =
            node.outputMatchTypes.map { .array($0.map { $0.map(JSONValue.string) ?? .null }) } ?? .null
          json["price_badge"] = .null
          json["dev_only"] = false
        }
      }
      out[node.name] = .object(json)
    }
    return out
  }

  /// What `GET /node_replacements` answers under 0.33: the recorded server's mappings for classes this
  /// catalog does not have, onto classes it does.
  static let nodeReplacements: JSONValue = [
    "ImageBatch": [
      [
        "new_node_id": "BatchImagesNode", "old_node_id": "ImageBatch", "old_widget_ids": nil,
        "input_mapping": [
          ["new_id": "images.image0", "old_id": "image1"], ["new_id": "images.image1", "old_id": "image2"],
        ],
        "output_mapping": nil,
      ]
    ],
    "ImageScaleBy": [
      [
        "new_node_id": "ResizeImageMaskNode", "old_node_id": "ImageScaleBy",
        "old_widget_ids": ["upscale_method", "scale_by"],
        "input_mapping": [
          ["new_id": "input", "old_id": "image"],
          ["new_id": "resize_type", "set_value": "scale by multiplier"],
          ["new_id": "resize_type.multiplier", "old_id": "scale_by"],
          ["new_id": "scale_method", "old_id": "upscale_method"],
        ],
        "output_mapping": nil,
      ]
    ],
  ]

  /// The V3 classes with dynamic inputs the 0.33 simulator adds (their behaviour is in Nodes.swift).
  private static var v3Nodes: [NodeSpec] {
    let methods = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]
    func size(_ tooltip: String) -> JSONValue {
      int(default: 512, min: 0, max: 16384, step: 1, extra: ["tooltip": .string(tooltip)])
    }
    let crop = comboV3(["disabled", "center"], default: "center")
    func option(_ key: String, _ inputs: [(String, JSONValue)]) -> JSONValue {
      ["key": .string(key), "inputs": ["required": .object(JSONObject(uniqueKeysWithValues: inputs))]]
    }
    let resizeOptions: [JSONValue] = [
      option(
        "scale dimensions",
        [
          ("width", size("Width in pixels; 0 keeps the aspect ratio.")),
          ("height", size("Height in pixels; 0 keeps the aspect ratio.")), ("crop", crop),
        ]),
      option(
        "scale by multiplier", [("multiplier", float(default: "1.0", min: "0.01", max: "8.0", step: "0.01"))]),
      option("scale longer dimension", [("longer_size", size("The longer edge, in pixels."))]),
      option("scale shorter dimension", [("shorter_size", size("The shorter edge, in pixels."))]),
    ]
    return [videoSaver, videoMaker] + [
      NodeSpec(
        name: "ResizeImageMaskNode", display: "Resize Image/Mask", category: "transform",
        description: "Resizes an image or a mask in one of several ways, each with inputs of its own.",
        pythonModule: "comfy_extras.nodes_post_processing",
        required: [
          (
            "input",
            .array([
              "COMFY_MATCHTYPE_V3",
              ["template": ["template_id": "input_type", "allowed_types": "IMAGE,MASK"]],
            ])
          ),
          (
            "resize_type",
            .array([
              "COMFY_DYNAMICCOMBO_V3", ["tooltip": "How to resize.", "options": .array(resizeOptions)],
            ])
          ),
          ("scale_method", comboV3(methods, default: "area")),
        ],
        outputs: [("COMFY_MATCHTYPE_V3", "resized")], v3: true,
        searchAliases: ["resize", "scale image", "resize image"], outputMatchTypes: ["input_type"]),
      NodeSpec(
        name: "BatchImagesNode", display: "Batch Images", category: "image/batch",
        description: "Joins the images linked to its slots into one batch.",
        pythonModule: "comfy_extras.nodes_post_processing",
        required: [
          (
            "images",
            .array([
              "COMFY_AUTOGROW_V3",
              [
                "template": [
                  "input": ["required": ["image": ["IMAGE", [:]]]], "prefix": "image", "min": 1, "max": 50,
                ]
              ],
            ])
          )
        ],
        outputs: [("IMAGE", "IMAGE")], v3: true,
        searchAliases: ["batch", "image batch", "combine images"], outputMatchTypes: nil),
    ]
  }

  /// CreateVideo: images and a rate make a VIDEO.
  private static var videoMaker: NodeSpec {
    NodeSpec(
      name: "CreateVideo", display: "Create Video", category: "video",
      description: "Makes a video of the images, one frame each.", pythonModule: "comfy_extras.nodes_video",
      required: [
        ("images", typed("IMAGE", ["tooltip": "The frames, in order."])),
        ("fps", float(default: "30.0", min: "1.0", max: "120.0", step: "1.0")),
      ],
      optional: [("bit_depth", int(default: 8, min: 8, max: 10, step: 2, extra: ["display": "number"]))],
      outputs: [("VIDEO", "VIDEO")], v3: true, searchAliases: ["images to video"], outputMatchTypes: nil)
  }

  /// SaveVideo: a dynamic combo three levels deep (container → codec → encoding mode → its settings),
  /// shaped as ComfyUI 0.33 declares it.
  private static var videoSaver: NodeSpec {
    func option(_ key: String, required: JSONObject = [:], optional: JSONObject? = nil) -> JSONValue {
      var inputs: JSONObject = ["required": .object(required)]
      if let optional { inputs["optional"] = .object(optional) }
      return ["key": .string(key), "inputs": .object(inputs)]
    }
    func dynamic(_ tooltip: String, _ options: [JSONValue], display: String? = nil) -> JSONValue {
      var settings: JSONObject = ["tooltip": .string(tooltip), "options": .array(options)]
      if let display { settings["display_name"] = .string(display) }
      return .array(["COMFY_DYNAMICCOMBO_V3", .object(settings)])
    }
    func codec(_ name: String, crf: String, maxCRF: String) -> JSONValue {
      let reEncode = option(
        "re-encode",
        required: [
          "crf": float(default: crf, min: "0.0", max: maxCRF, step: "1.0"),
          "color_space": comboV3(["auto", "sRGB", "HDR", "HDR PQ"], default: "auto"),
        ])
      return option(
        name,
        optional: [
          "encoding": dynamic(
            "Auto keeps a compatible stream; re-encode takes the settings below.",
            [option("auto"), reEncode], display: "encoding mode")
        ])
    }
    let h264 = codec("h264", crf: "23.0", maxCRF: "51.0")
    let av1 = codec("av1", crf: "30.0", maxCRF: "63.0")
    func container(_ key: String, codecs: [JSONValue]) -> JSONValue {
      option(key, required: ["codec": dynamic("The video codec.", [option("auto")] + codecs)])
    }
    let formats = [
      container("auto", codecs: [h264, av1]), container("mp4", codecs: [h264, av1]),
      container("mkv", codecs: [h264, av1]), container("webm", codecs: [av1]),
    ]
    return NodeSpec(
      name: "SaveVideo", display: "Save Video", category: "video",
      description: "Writes the video to the output folder.", pythonModule: "comfy_extras.nodes_video",
      required: [
        ("video", typed("VIDEO", ["tooltip": "The video to write."])),
        ("filename_prefix", typed("STRING", ["default": "video/ComfyUI", "multiline": false])),
        ("format", dynamic("The container; auto keeps the source's where it can.", formats)),
      ],
      hiddenV3: ["prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"],
      outputs: [("VIDEO", "video")], outputNode: true, v3: true, searchAliases: ["export video"],
      outputMatchTypes: nil)
  }

  // MARK: - Node definitions

  private static func nodes(inputFiles: [String]) -> [NodeSpec] {
    let upscaleModels = models["upscale_models"] ?? []
    let checkpoints = models["checkpoints"] ?? []
    return [
      NodeSpec(
        name: "CheckpointLoaderSimple", display: "Load Checkpoint", category: "loaders",
        description: "Loads a checkpoint file: the diffusion model, its text encoder and its VAE.",
        required: [("ckpt_name", combo(checkpoints, ["tooltip": "Which checkpoint file to load."]))],
        outputs: [("MODEL", "MODEL"), ("CLIP", "CLIP"), ("VAE", "VAE")]),
      NodeSpec(
        name: "CLIPTextEncode", display: "CLIP Text Encode (Prompt)", category: "conditioning",
        description: "Turns a text prompt into conditioning for a sampler.",
        required: [
          (
            "text",
            typed("STRING", ["multiline": true, "dynamicPrompts": true, "tooltip": "The prompt text."])
          ),
          ("clip", typed("CLIP", ["tooltip": "The text encoder to use."])),
        ],
        outputs: [("CONDITIONING", "CONDITIONING")]),
      NodeSpec(
        name: "EmptyLatentImage", display: "Empty Latent Image", category: "latent",
        description: "A batch of blank latents for a sampler to start from.",
        required: [
          ("width", int(default: 512, min: 16, max: 16384, step: 8)),
          ("height", int(default: 512, min: 16, max: 16384, step: 8)),
          ("batch_size", int(default: 1, min: 1, max: 4096)),
        ],
        outputs: [("LATENT", "LATENT")]),
      NodeSpec(
        name: "KSampler", display: "KSampler", category: "sampling",
        description: "Denoises a latent with a model, guided by positive and negative conditioning.",
        required: [
          ("model", typed("MODEL")),
          ("seed", seed()),
          ("steps", int(default: 20, min: 1, max: 10000)),
          ("cfg", float(default: "8.0", min: "0.0", max: "100.0", step: "0.1", round: "0.01")),
          ("sampler_name", combo(samplers)),
          ("scheduler", combo(schedulers)),
          ("positive", typed("CONDITIONING")),
          ("negative", typed("CONDITIONING")),
          ("latent_image", typed("LATENT")),
          ("denoise", float(default: "1.0", min: "0.0", max: "1.0", step: "0.01")),
        ],
        outputs: [("LATENT", "LATENT")]),
      NodeSpec(
        name: "VAEDecode", display: "VAE Decode", category: "latent",
        description: "Turns latents into images.",
        required: [("samples", typed("LATENT")), ("vae", typed("VAE"))],
        outputs: [("IMAGE", "IMAGE")]),
      NodeSpec(
        name: "EmptyImage", display: "EmptyImage", category: "image",
        required: [
          ("width", int(default: 512, min: 1, max: 16384, step: 1)),
          ("height", int(default: 512, min: 1, max: 16384, step: 1)),
          ("batch_size", int(default: 1, min: 1, max: 4096)),
          ("color", int(default: 0, min: 0, max: 16_777_215, step: 1, extra: ["display": "color"])),
        ],
        outputs: [("IMAGE", "IMAGE")]),
      NodeSpec(
        name: "ImageInvert", display: "Invert Image", category: "image",
        required: [("image", typed("IMAGE"))], outputs: [("IMAGE", "IMAGE")]),
      NodeSpec(
        name: "ImageScale", display: "Upscale Image", category: "image/upscaling",
        required: [
          ("image", typed("IMAGE")),
          ("upscale_method", combo(["nearest-exact", "bilinear", "area", "bicubic", "lanczos"])),
          ("width", int(default: 512, min: 0, max: 16384, step: 1)),
          ("height", int(default: 512, min: 0, max: 16384, step: 1)),
          ("crop", combo(["disabled", "center"])),
        ],
        outputs: [("IMAGE", "IMAGE")]),
      NodeSpec(
        name: "LoadImage", display: "Load Image", category: "image",
        required: [("image", combo(inputFiles, ["image_upload": true]))],
        outputs: [("IMAGE", "IMAGE"), ("MASK", "MASK")]),
      NodeSpec(
        name: "SaveImage", display: "Save Image", category: "image",
        description: "Writes the images to the output folder, with the workflow in the PNG.",
        required: [
          ("images", typed("IMAGE", ["tooltip": "Images to write."])),
          (
            "filename_prefix",
            typed(
              "STRING",
              [
                "default": "ComfyUI",
                "tooltip": "Start of the file name; a folder part (a/b) makes a subfolder of output.",
              ])
          ),
        ],
        hiddenV1: [("prompt", "PROMPT"), ("extra_pnginfo", "EXTRA_PNGINFO")],
        outputs: [], outputNode: true),
      NodeSpec(
        name: "PreviewImage", display: "Preview Image", category: "image",
        description: "Writes the images to the temp folder for a quick look.",
        required: [("images", typed("IMAGE"))],
        hiddenV1: [("prompt", "PROMPT"), ("extra_pnginfo", "EXTRA_PNGINFO")],
        outputs: [], outputNode: true),
      NodeSpec(
        name: "SaveImageWebsocket", display: "SaveImageWebsocket", category: "api/image",
        pythonModule: "custom_nodes.websocket_image_save",
        required: [("images", typed("IMAGE"))], outputs: [], outputNode: true),
      NodeSpec(
        name: "GetImageSize", display: "Get Image Size", category: "image",
        description: "Reports an image's width, height and batch size.",
        pythonModule: "comfy_extras.nodes_images",
        required: [("image", typed("IMAGE"))],
        hiddenV1: [("unique_id", "UNIQUE_ID")],
        outputs: [("INT", "width"), ("INT", "height"), ("INT", "batch_size")]),
      NodeSpec(
        name: "UpscaleModelLoader", display: "Load Upscale Model", category: "loaders",
        pythonModule: "comfy_extras.nodes_upscale_model",
        required: [("model_name", comboV3(upscaleModels))],
        outputs: [("UPSCALE_MODEL", "UPSCALE_MODEL")], v3: true),
      NodeSpec(
        name: "ImageUpscaleWithModel", display: "Upscale Image (using Model)", category: "image/upscaling",
        pythonModule: "comfy_extras.nodes_upscale_model",
        required: [("upscale_model", typed("UPSCALE_MODEL", [:])), ("image", typed("IMAGE", [:]))],
        outputs: [("IMAGE", "IMAGE")], v3: true),
      NodeSpec(
        name: "PrimitiveInt", display: "Int", category: "utils/primitive",
        pythonModule: "comfy_extras.nodes_primitive",
        required: [
          (
            "value",
            .array([
              "INT",
              .object([
                "min": number("-9223372036854775807"), "max": number("9223372036854775807"),
                "control_after_generate": true,
              ]),
            ])
          )
        ],
        outputs: [("INT", "INT")], v3: true),
      NodeSpec(
        name: "FluxProUltraImageNode", display: "Flux 1.1 [pro] Ultra Image", category: "api node/image/BFL",
        description:
          "Generates an image with a paid API. In the simulator: a made-up picture, and only with a key.",
        pythonModule: "comfy_api_nodes.nodes_bfl",
        required: [
          ("prompt", typed("STRING", ["default": "", "multiline": true, "tooltip": "What to draw."])),
          ("prompt_upsampling", typed("BOOLEAN", ["default": false])),
          ("seed", seed()),
          ("aspect_ratio", typed("STRING", ["default": "16:9", "multiline": false])),
          ("raw", typed("BOOLEAN", ["default": false])),
        ],
        optional: [
          ("image_prompt", typed("IMAGE", [:])),
          ("image_prompt_strength", float(default: "0.1", min: "0.0", max: "1.0", step: "0.01")),
        ],
        hiddenV3: ["auth_token_comfy_org": "AUTH_TOKEN_COMFY_ORG", "api_key_comfy_org": "API_KEY_COMFY_ORG"],
        outputs: [("IMAGE", "IMAGE")], v3: true, apiNode: true),
    ]
  }

  // MARK: - Building blocks

  private struct NodeSpec {
    var name: String
    var display: String
    var category: String
    var description = ""
    var pythonModule = "nodes"
    var required: [(String, JSONValue)] = []
    var optional: [(String, JSONValue)] = []
    var hiddenV1: [(String, String)] = []
    var hiddenV3: KeyValuePairs<String, String> = [:]
    var outputs: [(type: String, name: String)]
    var outputNode = false
    var v3 = false
    var apiNode = false
    var searchAliases: [String] = []
    var outputMatchTypes: [String?]? = nil

    var json: JSONObject {
      var input = JSONObject()
      var order = JSONObject()
      if !required.isEmpty {
        input["required"] = .object(JSONObject(uniqueKeysWithValues: required))
        order["required"] = .array(required.map { .string($0.0) })
      }
      if !optional.isEmpty {
        input["optional"] = .object(JSONObject(uniqueKeysWithValues: optional))
        order["optional"] = .array(optional.map { .string($0.0) })
      }
      var hidden = JSONObject()
      var hiddenOrder: [JSONValue] = []
      for (key, kind) in hiddenV1 {
        hidden[key] = .string(kind)
        hiddenOrder.append(.string(key))
      }
      if v3 && (apiNode || !hiddenV3.isEmpty) {
        for (key, kind) in hiddenV3 {
          hidden[key] = .array([.string(kind)])
          hiddenOrder.append(.string(key))
        }
        if apiNode {
          hidden["unique_id"] = .array(["UNIQUE_ID"])
          hiddenOrder.append("unique_id")
        }
      }
      if !hidden.isEmpty {
        input["hidden"] = .object(hidden)
        order["hidden"] = .array(hiddenOrder)
      }
      var out: JSONObject = [
        "input": .object(input),
        "input_order": .object(order),
        "output": .array(outputs.map { .string($0.type) }),
        "output_is_list": .array(outputs.map { _ in .bool(false) }),
        "output_name": .array(outputs.map { .string($0.name) }),
      ]
      if v3 { out["output_tooltips"] = .array(outputs.map { _ in .null }) }
      out["name"] = .string(name)
      out["display_name"] = .string(display)
      out["description"] = .string(description)
      out["python_module"] = .string(pythonModule)
      out["category"] = .string(category)
      out["output_node"] = .bool(outputNode)
      if v3 {
        out["deprecated"] = false
        out["experimental"] = false
        out["api_node"] = .bool(apiNode)
      }
      return out
    }
  }

  private static func number(_ text: String) -> JSONValue { .number(JSONNumber(uncheckedText: text)) }

  private static func typed(_ type: String, _ options: JSONObject? = nil) -> JSONValue {
    guard let options else { return .array([.string(type)]) }
    return .array([.string(type), .object(options)])
  }

  private static func int(
    default value: Int, min: Int, max: Int, step: Int? = nil, extra: JSONObject = [:]
  )
    -> JSONValue
  {
    var options: JSONObject = ["default": .int(value), "min": .int(min), "max": .int(max)]
    if let step { options["step"] = .int(step) }
    for (key, item) in extra { options[key] = item }
    return .array(["INT", .object(options)])
  }

  private static func float(
    default value: String, min: String, max: String, step: String, round: String? = nil
  )
    -> JSONValue
  {
    var options: JSONObject = [
      "default": number(value), "min": number(min), "max": number(max), "step": number(step),
    ]
    if let round { options["round"] = number(round) }
    return .array(["FLOAT", .object(options)])
  }

  private static func seed() -> JSONValue {
    .array([
      "INT",
      .object([
        "default": 0, "min": 0, "max": number("18446744073709551615"), "control_after_generate": true,
      ]),
    ])
  }

  /// A v1 COMBO: the choices list itself is the type.
  private static func combo(_ choices: [String], _ options: JSONObject? = nil) -> JSONValue {
    let list = JSONValue.array(choices.map { .string($0) })
    guard let options else { return .array([list]) }
    return .array([list, .object(options)])
  }

  /// A v3 COMBO (`["COMBO", {"options": …}]`), whose values ComfyUI 0.3.64 does not check at POST time.
  private static func comboV3(_ choices: [String], default value: String? = nil) -> JSONValue {
    var options: JSONObject = [:]
    if let value { options["default"] = .string(value) }
    options["multiselect"] = false
    options["options"] = .array(choices.map { .string($0) })
    return .array(["COMBO", .object(options)])
  }
}
