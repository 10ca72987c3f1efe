import ComfyClient

/// What ComfyUI's error types mean, in words for someone who has not read execution.py.
enum ErrorMeanings {
  /// A prompt-level (`error.type`) or node-level (`node_errors[…].errors[].type`) error type.
  static func meaning(of type: String) -> String {
    switch type {
    case "required_input_missing":
      "a required input has neither a value nor a link; the server checks every input a class declares required before it runs anything"
    case "value_smaller_than_min", "value_bigger_than_max":
      "a number is outside the range the class declares (`min`/`max` in /object_info); the server refuses the branch of every output that needs the node"
    case "value_not_in_list":
      "a choice input (a COMBO) holds a value that is not one of its options; for model and image files the options are what the server's folders hold"
    case "return_type_mismatch":
      "a link joins an output to an input of another type; an output's type must match what the input accepts (`*` accepts anything)"
    case "bad_linked_input":
      "a link is not a pair [node id, output slot]"
    case "invalid_input_type":
      "a value has the wrong kind (text where a number belongs); the server tries Python's int() or float() on it first"
    case "custom_validation_failed":
      "the class's own check (its VALIDATE_INPUTS) refused the value; for LoadImage that means the file is not in the server's input folder"
    case "exception_during_validation", "exception_during_inner_validation":
      "checking the node raised an exception on the server, often because a node it links to is missing or has no such output"
    case "missing_node_type", "invalid_prompt":
      "the server has no node class of that name: a custom node that is not installed there, or a class that was renamed"
    case "dependency_cycle":
      "the links go in a circle; ComfyUI runs a graph in dependency order, which a loop does not have"
    case "invalid_prompt_id":
      "a prompt_id chosen by the client must be a UUID in lowercase hyphenated form (ComfyUI 0.4 and later)"
    case "prompt_no_outputs":
      "the workflow has no output node; ComfyUI runs only what an output node (SaveImage, PreviewImage, …) needs, so nothing would run"
    case "prompt_outputs_failed_validation":
      "every output node has an error in the nodes it needs, so nothing was queued"
    case "no_prompt":
      "the request body has no \"prompt\" member"
    default:
      "an error type this version of comfysh has no words for; its message is the server's"
    }
  }

  /// A node's failure while the prompt ran, after validation had passed.
  static func meaning(of failure: ExecutionFailure) -> String {
    let message = failure.exceptionMessage
    var why: String
    switch failure.exceptionType {
    case let type where type.contains("OutOfMemory"):
      why = "the server's GPU (or RAM) ran out of memory; a smaller size or batch, or a smaller model, fits"
    case "FileNotFoundError":
      why = "a file the node needs (a model, an image) is not where the server looks for it"
    default:
      if message.hasPrefix("Unauthorized") {
        why =
          "a paid API node was sent without a key Comfy's API accepts; the key travels in extra_data.api_key_comfy_org"
      } else if message.contains("outside the output folder") {
        why =
          "a save node may write only inside the server's output folder, and its filename_prefix climbs out of it"
      } else if message.hasPrefix("Payment Required") || message.contains("402") {
        why = "the account behind the key has no credits left for this paid node"
      } else {
        why = "the node's Python code raised \(failure.exceptionType) while it ran"
      }
    }
    return why
      + "; validation had passed, so this is a run-time error (execution_error on the WebSocket). Nodes that finished before it stay in the server's cache and are not run again"
  }
}
