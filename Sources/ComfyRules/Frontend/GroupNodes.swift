import OrderedCollections
import Workflow

/// A legacy group node type (`workflow>NAME`, stored in `extra.groupNodes[NAME]`), read as
/// groupNode.ts `GroupNodeConfig` builds it: its inner nodes become a graph of their own, flattened to
/// ids `GROUP:INDEX`; the group's inputs are the inner sockets not linked inside (in node order), then
/// the inner widgets (converted widget inputs, since frontend 1.16), named after the input and
/// prefixed with the node's title when a name repeats; its outputs are the inner outputs not used
/// only inside.
final class GroupNodeConfig: Sendable {
  let name: String
  /// The inner graph, in the shape of a subgraph definition (io links from `-10`, to `-20`).
  let definition: JSONObject
  /// The group's input slots and, for the widget inputs, the inner widget each one edits.
  let inputs: [(name: String, type: String, widget: (node: Int, input: String)?)]
  /// Inner nodes whose seed-like widget gets a control value in the group's `widgets_values`.
  let controls: Set<String>

  init(name: String, data: JSONValue, catalog: Catalog) {
    self.name = name
    let nodes = data["nodes"]?.arrayValue?.compactMap(\.objectValue) ?? []
    let rawLinks = data["links"]?.arrayValue?.compactMap(\.arrayValue) ?? []
    var linksTo: [Int: [Int: [JSONValue]]] = [:]
    var linksFrom: [Int: [Int: Bool]] = [:]
    for link in rawLinks where link.count >= 4 {
      guard let source = UIValue.int(link[0]), let sourceSlot = UIValue.int(link[1]),
        let target = UIValue.int(link[2]), let targetSlot = UIValue.int(link[3])
      else { continue }
      linksFrom[source, default: [:]][sourceSlot] = true
      linksTo[target, default: [:]][targetSlot] = link
    }
    var external: [Int: Set<Int>] = [:]
    for entry in data["external"]?.arrayValue?.compactMap(\.arrayValue) ?? [] where entry.count >= 2 {
      if let node = UIValue.int(entry[0]), let slot = UIValue.int(entry[1]) {
        external[node, default: []].insert(slot)
      }
    }

    var seen: [String: Int] = [:]
    func inputName(_ node: JSONObject, _ input: String) -> String {
      var name =
        node["inputs"]?.arrayValue?.first { $0["name"]?.stringValue == input }?["label"]?.stringValue ?? input
      if seen[name] != nil {
        let prefix = (node["title"]?.stringValue ?? node["type"]?.stringValue ?? "") + " "
        let key = prefix + input
        name = key
        if let count = seen[key] { name = "\(prefix)\(count) \(input)" }
        seen[key] = (seen[key] ?? 1) + 1
        return name
      }
      seen[name] = (seen[name] ?? 1) + 1
      return name
    }

    var groupInputs: [(String, String, (Int, String)?)] = []
    var ioLinks: [JSONValue] = []
    var innerLinks: [JSONValue] = []
    var nextLink = 1
    var convertedLater: [(Int, JSONObject, [(Int, String, String)])] = []
    var controls: Set<String> = []
    var outputs: [JSONValue] = []
    var innerNodes: [JSONObject] = []
    var defs: [Int: FrontendNodeDef] = [:]
    var inputLinks: [Int: [String: Int]] = [:]
    func slotIndex(_ node: Int, _ input: String) -> JSONValue {
      .int(defs[node]?.inputs.firstIndex { $0.name == input } ?? 0)
    }
    for (index, node) in nodes.enumerated() {
      var inner = node
      inner["id"] = .int(index)
      let savedInputs = node["inputs"]?.arrayValue ?? []
      let nodeClass = node["type"]?.stringValue.flatMap { catalog[className: $0] }
      if let nodeClass { defs[index] = FrontendNodeDef(nodeClass) }
      var slots: [(Int, String, String)] = []
      var converted: [(Int, String, String)] = []
      for spec in nodeClass?.inputs ?? [] {
        let type = FrontendNodeDef.typeName(spec)
        let isWidget = FrontendNodeDef.widgetTypes.contains(type) && !spec.forcesInput
        let savedIndex = savedInputs.firstIndex { $0["name"]?.stringValue == spec.name } ?? -1
        if isWidget, savedIndex >= 0, savedInputs[savedIndex]["widget"]?["name"]?.stringValue == spec.name {
          converted.append((savedIndex, spec.name, type))
        } else if !isWidget {
          slots.append((savedIndex, spec.name, type))
        }
      }
      for (position, slot) in slots.enumerated() {
        if linksTo[index]?[position] != nil { continue }
        let name = inputName(node, slot.1)
        ioLinks.append(
          [
            "id": .int(nextLink), "origin_id": -10, "origin_slot": .int(groupInputs.count),
            "target_id": .int(index), "target_slot": slotIndex(index, slot.1), "type": .string(slot.2),
          ])
        inputLinks[index, default: [:]][slot.1] = nextLink
        nextLink += 1
        groupInputs.append((name, slot.2, nil))
      }
      convertedLater.append(
        (index, node, converted.sorted { $0.0 < $1.0 }.map { ($0.0 + slots.count, $0.1, $0.2) }))
      // Links inside the group, to the input named at that saved slot.
      for (targetSlot, link) in linksTo[index] ?? [:] {
        guard targetSlot < savedInputs.count, let inputName = savedInputs[targetSlot]["name"]?.stringValue,
          let source = UIValue.int(link[0]), let sourceSlot = UIValue.int(link[1])
        else { continue }
        innerLinks.append(
          [
            "id": .int(nextLink), "origin_id": .int(source), "origin_slot": .int(sourceSlot),
            "target_id": .int(index), "target_slot": slotIndex(index, inputName),
            "type": link.count > 5 ? link[5] : "*",
          ])
        inputLinks[index, default: [:]][inputName] = nextLink
        nextLink += 1
      }
      for (slot, spec) in (nodeClass?.outputs ?? []).enumerated() {
        let usedInside = linksFrom[index]?[slot] == true && external[index]?.contains(slot) != true
        if usedInside { continue }
        ioLinks.append(
          [
            "id": .int(nextLink), "origin_id": .int(index), "origin_slot": .int(slot), "target_id": -20,
            "target_slot": .int(outputs.count), "type": .string(spec.type),
          ])
        outputs.append(["name": .string(spec.name), "type": .string(spec.type), "linkIds": [.int(nextLink)]])
        nextLink += 1
      }
      innerNodes.append(inner)
    }
    for (index, node, converted) in convertedLater {
      for (slot, input, type) in converted where linksTo[index]?[slot] == nil {
        let name = inputName(node, input)
        if ["seed", "noise_seed"].contains(input) { controls.insert(name) }
        ioLinks.append(
          [
            "id": .int(nextLink), "origin_id": -10, "origin_slot": .int(groupInputs.count),
            "target_id": .int(index), "target_slot": slotIndex(index, input), "type": .string(type),
          ])
        inputLinks[index, default: [:]][input] = nextLink
        nextLink += 1
        groupInputs.append((name, type, (index, input)))
      }
    }
    // Each inner input holds the id of the link that now ends there.
    for index in innerNodes.indices {
      let links = inputLinks[index] ?? [:]
      var saved = (innerNodes[index]["inputs"]?.arrayValue ?? []).compactMap(\.objectValue)
      for position in saved.indices {
        let name = saved[position]["name"]?.stringValue ?? ""
        saved[position]["link"] = links[name].map { .int($0) } ?? .null
      }
      for (name, link) in links where !saved.contains(where: { $0["name"]?.stringValue == name }) {
        saved.append(["name": .string(name), "link": .int(link)])
      }
      innerNodes[index]["inputs"] = .array(saved.map { .object($0) })
    }
    inputs = groupInputs.map { (name: $0.0, type: $0.1, widget: $0.2.map { (node: $0.0, input: $0.1) }) }
    self.controls = controls
    var inputSlots: [JSONValue] = []
    for (position, input) in groupInputs.enumerated() {
      let ids = ioLinks.compactMap { link -> JSONValue? in
        link["origin_id"] == -10 && link["origin_slot"] == .int(position) ? link["id"] : nil
      }
      inputSlots.append(["name": .string(input.0), "type": .string(input.1), "linkIds": .array(ids)])
    }
    definition = [
      "id": .string("workflow>" + name), "name": .string(name),
      "nodes": .array(innerNodes.map { .object($0) }),
      "links": .array(ioLinks + innerLinks), "inputs": .array(inputSlots), "outputs": .array(outputs),
    ]
  }
}
