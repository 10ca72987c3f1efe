import ComfyRules
import Workflow

/// `comfysh-bench ui-convert [OBJECT_INFO.json] [CORPUS_FOLDER] [WRITE_TO]`: converting UI workflows as the
/// frontend does (`load` of a UI file or a PNG's workflow chunk): a generated 500-node workflow made
/// of nested subgraph instances, and the frontend-made corpus file with one node of every class.
func uiConversionBenchmark(_ arguments: [String]) throws {
  let path = arguments.first ?? "../shared/fixtures/comfyui/object_info.json"
  let corpus = arguments.count > 1 ? arguments[1] : "Tests/Corpus/frontend-1.27.10"
  let catalog = try Catalog(objectInfoBytes: FileIO.read(path))

  let generated = generatedUIWorkflow(instances: 25)
  let text = Array(generated.serialized().utf8)
  let converted = try convertUIWorkflow(generated, catalog: catalog)
  // The same workflow for the browser's side of Scripts/bench/ui-convert.sh.
  if arguments.count > 2 { try FileIO.writeAtomically(arguments[2], text: generated.serialized()) }
  print(
    "generated: \(text.count) bytes, 25 instances of a subgraph holding a nested one → \(converted.count) API nodes"
  )
  try measure("convert generated \(converted.count)-node UI workflow with subgraphs") {
    _ = try convertUIWorkflow(generated, catalog: catalog)
  }
  try measure("parse + convert generated \(converted.count)-node UI workflow") {
    _ = try convertUIWorkflow(try JSONValue.parse(bytes: text), catalog: catalog)
  }

  let everyClass = corpus + "/plain-every-class.ui.json"
  if FileIO.exists(everyClass) {
    let bytes = try FileIO.read(everyClass)
    let ui = try JSONValue.parse(bytes: bytes)
    let count = try convertUIWorkflow(ui, catalog: catalog).count
    print("frontend-made: \(bytes.count) bytes, one node of every class → \(count) API nodes")
    try measure("convert frontend-made \(count)-node UI workflow (every class)") {
      _ = try convertUIWorkflow(ui, catalog: catalog)
    }
  }
}

/// A root chain EmptyImage → N instances of "outer" → SaveImage; "outer" holds an instance of
/// "inner" and 11 image nodes, "inner" 9 with a promoted blur radius: 20 API nodes per instance.
func generatedUIWorkflow(instances: Int) -> JSONValue {
  func chain(_ count: Int, first: Int, promotedInput: Bool) -> (nodes: [JSONValue], links: [JSONValue]) {
    var nodes: [JSONValue] = []
    var links: [JSONValue] = []
    var link = 1
    for index in 0..<count {
      let id = first + index
      let blur = index % 2 == 1
      var inputs: [JSONValue] = [["name": "image", "type": "IMAGE", "link": .int(link)]]
      if blur {
        inputs.append([
          "name": "blur_radius", "type": "INT", "widget": ["name": "blur_radius"],
          "link": promotedInput && index == 1 ? .int(900) : .null,
        ])
      }
      let origin: JSONValue = index == 0 ? -10 : .int(id - 1)
      links.append([
        "id": .int(link), "origin_id": origin, "origin_slot": 0, "target_id": .int(id), "target_slot": 0,
        "type": "IMAGE",
      ])
      link += 1
      nodes.append([
        "id": .int(id), "type": blur ? "ImageBlur" : "ImageInvert", "mode": 0, "inputs": .array(inputs),
        "outputs": [["name": "IMAGE", "type": "IMAGE", "links": [.int(link)]]],
        "widgets_values": blur ? [2, 1] : [],
      ])
    }
    links.append([
      "id": .int(link), "origin_id": .int(first + count - 1), "origin_slot": 0, "target_id": -20,
      "target_slot": 0, "type": "IMAGE",
    ])
    return (nodes, links)
  }
  var inner = chain(9, first: 1, promotedInput: true)
  inner.links.append([
    "id": 900, "origin_id": -10, "origin_slot": 1, "target_id": 2, "target_slot": 1, "type": "INT",
  ])
  let innerDefinition: JSONValue = [
    "id": "inner-0000", "name": "Inner", "nodes": .array(inner.nodes), "links": .array(inner.links),
    "inputNode": ["id": -10, "bounding": [0, 0, 120, 60]],
    "outputNode": ["id": -20, "bounding": [600, 0, 120, 60]],
    "inputs": [
      ["name": "image", "type": "IMAGE", "linkIds": [1]],
      ["name": "blur_radius", "type": "INT", "linkIds": [900]],
    ],
    "outputs": [["name": "IMAGE", "type": "IMAGE", "linkIds": [10]]],
  ]
  var outer = chain(11, first: 2, promotedInput: false)
  // The outer chain starts at an instance of "inner" (node 1), which takes the subgraph's input.
  outer.links[0] = [
    "id": 1, "origin_id": 1, "origin_slot": 0, "target_id": 2, "target_slot": 0, "type": "IMAGE",
  ]
  outer.links.append([
    "id": 500, "origin_id": -10, "origin_slot": 0, "target_id": 1, "target_slot": 0, "type": "IMAGE",
  ])
  let innerInstance: JSONValue = [
    "id": 1, "type": "inner-0000", "mode": 0,
    "inputs": [
      ["name": "image", "type": "IMAGE", "link": 500],
      ["name": "blur_radius", "type": "INT", "widget": ["name": "blur_radius"], "link": .null],
    ],
    "outputs": [["name": "IMAGE", "type": "IMAGE", "links": [1]]], "widgets_values": [5],
  ]
  let outerDefinition: JSONValue = [
    "id": "outer-0000", "name": "Outer", "nodes": .array([innerInstance] + outer.nodes),
    "links": .array(outer.links),
    "inputs": [["name": "image", "type": "IMAGE", "linkIds": [500]]],
    "outputs": [["name": "IMAGE", "type": "IMAGE", "linkIds": [12]]],
  ]
  var nodes: [JSONValue] = [
    [
      "id": 1, "type": "EmptyImage", "mode": 0,
      "outputs": [["name": "IMAGE", "type": "IMAGE", "links": [1]]],
      "widgets_values": [64, 64, 1, 0],
    ]
  ]
  var links: [JSONValue] = []
  for index in 0..<instances {
    let id = index + 2
    links.append([.int(index + 1), .int(id - 1), 0, .int(id), 0, "IMAGE"])
    nodes.append([
      "id": .int(id), "type": "outer-0000", "mode": 0,
      "inputs": [["name": "image", "type": "IMAGE", "link": .int(index + 1)]],
      "outputs": [["name": "IMAGE", "type": "IMAGE", "links": [.int(index + 2)]]],
    ])
  }
  let save = instances + 2
  links.append([.int(instances + 1), .int(save - 1), 0, .int(save), 0, "IMAGE"])
  nodes.append([
    "id": .int(save), "type": "SaveImage", "mode": 0,
    "inputs": [["name": "images", "type": "IMAGE", "link": .int(instances + 1)]],
    "widgets_values": ["bench"],
  ])
  return [
    "version": .number(JSONNumber(uncheckedText: "0.4")), "nodes": .array(nodes), "links": .array(links),
    "definitions": ["subgraphs": [innerDefinition, outerDefinition]],
  ]
}
