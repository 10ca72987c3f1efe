import Media
import Workflow

@testable import ComfySim

/// Small API-format prompts the tests build on.
enum SmallPrompts {
  /// EmptyImage → ImageInvert → SaveImage.
  static func basic(color: Int = 16_711_680, width: Int = 64, prefix: String = "sim_basic") -> JSONValue {
    [
      "1": [
        "inputs": ["width": .int(width), "height": .int(width), "batch_size": 1, "color": .int(color)],
        "class_type": "EmptyImage",
      ],
      "2": ["inputs": ["image": ["1", 0]], "class_type": "ImageInvert"],
      "3": ["inputs": ["filename_prefix": .string(prefix), "images": ["2", 0]], "class_type": "SaveImage"],
    ]
  }

  /// EmptyImage (large, batch 2) → UpscaleModelLoader → ImageUpscaleWithModel → PreviewImage: many
  /// progress steps (2 × 9 × 9 = 162 tiles for 4096²).
  static func upscale(size: Int = 4096, batch: Int = 2, color: Int = 8_421_504) -> JSONValue {
    [
      "1": [
        "inputs": [
          "width": .int(size), "height": .int(size), "batch_size": .int(batch), "color": .int(color),
        ],
        "class_type": "EmptyImage",
      ],
      "2": ["inputs": ["model_name": "sim-upscale-x2.safetensors"], "class_type": "UpscaleModelLoader"],
      "3": [
        "inputs": ["upscale_model": ["2", 0], "image": ["1", 0]], "class_type": "ImageUpscaleWithModel",
      ],
      "4": ["inputs": ["images": ["3", 0]], "class_type": "PreviewImage"],
    ]
  }

  /// Checkpoint → prompts → empty latent → KSampler → VAEDecode → SaveImage.
  static func sampler(seed: UInt64 = 42, steps: Int = 5, size: Int = 1024) -> JSONValue {
    [
      "4": ["inputs": ["ckpt_name": "sim-checkpoint.safetensors"], "class_type": "CheckpointLoaderSimple"],
      "6": ["inputs": ["text": "a lighthouse at dusk", "clip": ["4", 1]], "class_type": "CLIPTextEncode"],
      "7": ["inputs": ["text": "blurry", "clip": ["4", 1]], "class_type": "CLIPTextEncode"],
      "5": [
        "inputs": ["width": .int(size), "height": .int(size), "batch_size": 1],
        "class_type": "EmptyLatentImage",
      ],
      "3": [
        "inputs": [
          "seed": .number(JSONNumber(seed)), "steps": .int(steps),
          "cfg": .number(JSONNumber(uncheckedText: "8.0")),
          "sampler_name": "euler", "scheduler": "normal",
          "denoise": .number(JSONNumber(uncheckedText: "1.0")),
          "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0],
        ],
        "class_type": "KSampler",
      ],
      "8": ["inputs": ["samples": ["3", 0], "vae": ["4", 2]], "class_type": "VAEDecode"],
      "9": ["inputs": ["filename_prefix": "sampled", "images": ["8", 0]], "class_type": "SaveImage"],
    ]
  }

  /// A small valid PNG whose pixels depend on `seed`.
  static func pngBytes(seed: UInt64 = 1, width: Int = 16, height: Int = 12) -> [UInt8] {
    SimImage(width: width, height: height, pixels: .pattern(seed)).png()
  }
}

extension ImageFilesProbe {
  /// The RGB pixels of a PNG, decoded by the simulator's own reader.
  static func pixels(_ bytes: [UInt8]) -> [UInt8]? { ImageFiles.decodePNG(bytes)?.rgb }
}

/// Deletes a file; true when it was there.
func unlinkFile(_ path: String) -> Bool {
  guard FileIO.exists(path) else { return false }
  Paths.removeTree(path)
  return !FileIO.exists(path)
}
