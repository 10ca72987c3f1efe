// Runs inside ComfyUI's own page (frontend 1.27.10) served by `comfysh sim --frontend`; loaded by
// Scripts/frontend/oracle.py. `convert` is what the frontend queues for a UI workflow; `buildAll`
// builds the corpus of UI workflows with the frontend's own functions (LiteGraph.createNode, connect,
// LGraph.convertToSubgraph, the group-node extension) and saves each as "Save" does.
(() => {
  const app = window.comfyAPI.app.app
  const LiteGraph = window.LiteGraph

  /** Runs `body` with `new Date()` and `Date.now()` reading `ms`, so %date:…% is reproducible. */
  async function atTime(ms, body) {
    if (ms == null) return body()
    const RealDate = window.Date
    class FixedDate extends RealDate {
      constructor(...args) {
        super(...(args.length ? args : [ms]))
      }
      static now() {
        return ms
      }
    }
    window.Date = FixedDate
    try {
      return await body()
    } finally {
      window.Date = RealDate
    }
  }

  async function load(workflow) {
    await app.loadGraphData(workflow, true, false, null, {
      showMissingNodesDialog: false,
      showMissingModelsDialog: false
    })
  }

  async function convert(text, ms) {
    await load(JSON.parse(text))
    return atTime(ms, async () => JSON.stringify((await app.graphToPrompt()).output))
  }

  // Building blocks --------------------------------------------------------------------------

  function add(graph, type, widgets = {}, extra = {}) {
    const node = LiteGraph.createNode(type)
    if (!node) throw new Error(`no node type ${type}`)
    graph.add(node)
    for (const [name, value] of Object.entries(widgets)) set(node, name, value)
    if (extra.title !== undefined) node.title = extra.title
    if (extra.mode !== undefined) node.mode = extra.mode
    if (extra.pos) node.pos = extra.pos
    return node
  }

  function set(node, name, value) {
    const widget = node.widgets?.find((w) => w.name === name)
    if (!widget) throw new Error(`${node.type} has no widget ${name}`)
    widget.value = value
  }

  function input(node, name) {
    const index = node.inputs.findIndex((i) => i.name === name)
    if (index < 0) throw new Error(`${node.type} has no input ${name}`)
    return index
  }

  function link(from, slot, to, name) {
    const made = from.connect(slot, to, input(to, name))
    if (!made) throw new Error(`cannot link ${from.type}:${slot} to ${to.type}.${name}`)
    return made
  }

  function subgraph(graph, nodes) {
    return graph.convertToSubgraph(new Set(nodes))
  }

  /** Exposes an inner widget input as a new subgraph input, unlinked outside (a promoted widget). */
  function promote(sub, inner, name) {
    const slot = inner.inputs[input(inner, name)]
    const subgraphInput = sub.addInput(name, slot.type)
    subgraphInput.connect(slot, inner)
    return subgraphInput
  }

  function promoted(subgraphNode, name) {
    const widget = subgraphNode.widgets.find((w) => w.name === name)
    if (!widget) throw new Error(`subgraph node has no promoted widget ${name}`)
    return widget
  }

  function fresh() {
    app.graph.clear()
    return app.graph
  }

  const BYPASS = 4
  const NEVER = 2

  // The cases ------------------------------------------------------------------------------
  // Each builds a graph; `edit` may change the saved JSON text (what a person or another tool wrote).

  const cases = []
  function addCase(name, category, covers, build, edit, editText, difference, flags = {}) {
    cases.push({ name, category, covers, build, edit, editText, difference, slow: !!flags.slow })
  }

  addCase('plain-titles', 'plain', 'untitled nodes send the display name; renamed ones their title; an empty title',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 32, batch_size: 1, color: 255 })
      const invert = add(g, 'ImageInvert', {}, { title: 'My invert' })
      const save = add(g, 'SaveImage', { filename_prefix: 'titles' })
      const preview = add(g, 'PreviewImage')
      link(image, 0, invert, 'image')
      link(invert, 0, save, 'images')
      link(image, 0, preview, 'images')
      save.title = ''
    })

  addCase('plain-empty-title-saved', 'plain', 'a node saved with title "" (as other tools write it)',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const save = add(g, 'SaveImage', { filename_prefix: 'empty' })
      link(image, 0, save, 'images')
    },
    (w) => {
      for (const n of w.nodes) if (n.type === 'SaveImage') n.title = ''
      for (const n of w.nodes) if (n.type === 'EmptyImage') n.title = 'EmptyImage'
    })

  addCase('plain-every-class', 'plain', 'one node of every class the server has, with its default widgets',
    (g) => {
      const skipped = []
      for (const [type, nodeClass] of Object.entries(LiteGraph.registered_node_types)) {
        if (!nodeClass.comfyClass || nodeClass.nodeData?.[Symbol.for('group')]) continue
        if (type.startsWith('workflow>') || /^[0-9a-f]{8}-/.test(type)) continue
        // Nodes whose widgets need a device the headless page lacks (a camera).
        if (type === 'WebcamCapture') continue
        // Their scene widget renders the 3D view and uploads it at queue time, which the headless page
        // cannot do in reasonable time; Docs/frontend.md names the difference.
        if (type === 'Load3D' || type === 'Load3DAnimation') continue
        try {
          add(g, type)
        } catch (error) {
          skipped.push(type)
        }
      }
      window.comfyshOracle.skipped = skipped
    }, null, null, null, { slow: true })


  addCase('plain-preview-any', 'plain', "PreviewAny's preview widget is sent as an empty string",
    (g) => {
      const number = add(g, 'PrimitiveInt', { value: 7 })
      const preview = add(g, 'PreviewAny')
      link(number, 0, preview, 'source')
    })

  addCase('plain-seed-control', 'plain', 'control_after_generate values in widgets_values; KSampler widgets',
    (g) => {
      const ckpt = add(g, 'CheckpointLoaderSimple')
      const positive = add(g, 'CLIPTextEncode', { text: 'a lighthouse' })
      const negative = add(g, 'CLIPTextEncode', { text: '' }, { title: 'Negative' })
      const latent = add(g, 'EmptyLatentImage', { width: 512, height: 512, batch_size: 1 })
      const sampler = add(g, 'KSampler', {
        seed: 589991183902375, control_after_generate: 'randomize', steps: 20, cfg: 7.5,
        sampler_name: 'euler', scheduler: 'normal', denoise: 1
      })
      const decode = add(g, 'VAEDecode')
      const save = add(g, 'SaveImage', { filename_prefix: 'seed' })
      link(ckpt, 0, sampler, 'model')
      link(ckpt, 1, positive, 'clip')
      link(ckpt, 1, negative, 'clip')
      link(positive, 0, sampler, 'positive')
      link(negative, 0, sampler, 'negative')
      link(latent, 0, sampler, 'latent_image')
      link(sampler, 0, decode, 'samples')
      link(ckpt, 2, decode, 'vae')
      link(decode, 0, save, 'images')
      const advanced = add(g, 'KSamplerAdvanced', {
        noise_seed: 12345, control_after_generate: 'increment', steps: 30, cfg: 6
      })
      link(ckpt, 0, advanced, 'model')
      link(positive, 0, advanced, 'positive')
      link(negative, 0, advanced, 'negative')
      link(latent, 0, advanced, 'latent_image')
      const decode2 = add(g, 'VAEDecode')
      link(advanced, 0, decode2, 'samples')
      link(ckpt, 2, decode2, 'vae')
      link(decode2, 0, add(g, 'PreviewImage'), 'images')
    })

  addCase('plain-primitive-node', 'plain', 'a PrimitiveNode feeding two widgets (with its own control value)',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const image2 = add(g, 'EmptyImage', { width: 32, height: 32, batch_size: 1, color: 0 })
      const primitive = add(g, 'PrimitiveNode')
      link(primitive, 0, image, 'width')
      link(primitive, 0, image2, 'width')
      primitive.widgets[0].value = 96
      const save = add(g, 'SaveImage', { filename_prefix: 'prim' })
      link(image, 0, save, 'images')
      link(image2, 0, add(g, 'PreviewImage'), 'images')
    })

  addCase('plain-primitive-float-rounding', 'plain', "a PrimitiveNode's value rounded by the target widget",
    (g) => {
      const sampler = add(g, 'KSampler', { seed: 1, steps: 4, cfg: 8 })
      const primitive = add(g, 'PrimitiveNode')
      link(primitive, 0, sampler, 'cfg')
      primitive.widgets[0].value = 7.123456
      const denoise = add(g, 'PrimitiveNode')
      link(denoise, 0, sampler, 'denoise')
      denoise.widgets[0].value = 0.4000000000000001
    })

  addCase('plain-text-replacements', 'plain',
    '%Node.widget% by S&R name and by title, %date:…%, missing nodes and widgets, characters made safe',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 640, height: 480, batch_size: 1, color: 0 })
      const invert = add(g, 'ImageInvert', {}, { title: 'Renamed' })
      const text = add(g, 'PrimitiveStringMultiline', { value: 'a/b:c*d?"e"' }, { title: 'Words' })
      const save = add(g, 'SaveImage', {
        filename_prefix:
          'out/%EmptyImage.width%x%Renamed.height%_%Words.value%_%date:yyyy-MM-dd hh.mm.ss%_%date:yy-M-d h:m:s%' +
          '_%NoSuchNode.width%_%EmptyImage.nosuch%_%width%_%a.b.c%_%%_%EmptyImage.height'
      })
      link(image, 0, invert, 'image')
      link(invert, 0, save, 'images')
      const preview = add(g, 'PreviewAny')
      link(text, 0, preview, 'source')
      // Not a save node: its text is sent as written.
      const other = add(g, 'PrimitiveString', { value: '%EmptyImage.width%_%date:yyyy%' })
      link(other, 0, add(g, 'PreviewAny'), 'source')
    })

  addCase('plain-text-replace-primitive', 'plain',
    'a PrimitiveNode with "Run widget replace on values" applies %…% replacements to the widget it feeds',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 320, height: 200, batch_size: 1, color: 0 })
      const save = add(g, 'SaveImage', { filename_prefix: 'x' })
      link(image, 0, save, 'images')
      const primitive = add(g, 'PrimitiveNode')
      link(primitive, 0, save, 'filename_prefix')
      primitive.widgets[0].value = 'prim_%EmptyImage.width%_%date:MM%'
      primitive.properties['Run widget replace on values'] = true
      const loose = add(g, 'PrimitiveNode')
      const save2 = add(g, 'SaveImage', { filename_prefix: 'y' })
      link(image, 0, save2, 'images')
      link(loose, 0, save2, 'filename_prefix')
      loose.widgets[0].value = 'loose_%EmptyImage.height%'
    })

  addCase('plain-dynamic-prompts', 'plain', 'comments stripped and single-choice {…} resolved in dynamicPrompts widgets',
    (g) => {
      const ckpt = add(g, 'CheckpointLoaderSimple')
      const encode = add(g, 'CLIPTextEncode', {
        text: 'a {red} house // not this\n/* nor this */ with \\{braces\\} and {{big}} {|} end'
      })
      link(ckpt, 1, encode, 'clip')
      const zero = add(g, 'ConditioningZeroOut')
      link(encode, 0, zero, 'conditioning')
      const string = add(g, 'PrimitiveStringMultiline', { value: 'kept // as is {x}' })
      link(string, 0, add(g, 'PreviewAny'), 'source')
    })

  addCase('plain-reroute-bypass-mute', 'plain', 'Reroute, Note, MarkdownNote, bypassed and muted nodes',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const reroute = add(g, 'Reroute')
      link(image, 0, reroute, '')
      const invert = add(g, 'ImageInvert', {}, { mode: BYPASS })
      link(reroute, 0, invert, 'image')
      const blur = add(g, 'ImageBlur', { blur_radius: 3, sigma: 1.5 })
      link(invert, 0, blur, 'image')
      const muted = add(g, 'ImageInvert', {}, { mode: NEVER })
      link(blur, 0, muted, 'image')
      link(muted, 0, add(g, 'PreviewImage'), 'images')
      link(blur, 0, add(g, 'SaveImage', { filename_prefix: 'chain' }), 'images')
      add(g, 'Note', { text: 'a note' })
      add(g, 'MarkdownNote', { text: '# a markdown note' })
    })

  addCase('plain-bypass-type-match', 'plain', 'a bypassed node hands over its first input of the matching type',
    (g) => {
      const ckpt = add(g, 'CheckpointLoaderSimple')
      const lora = add(g, 'LoraLoader', { strength_model: 1, strength_clip: 1 }, { mode: BYPASS })
      link(ckpt, 0, lora, 'model')
      link(ckpt, 1, lora, 'clip')
      const encode = add(g, 'CLIPTextEncode', { text: 'x' })
      link(lora, 1, encode, 'clip')
      const sampler = add(g, 'KSampler', { seed: 3, steps: 2 })
      link(lora, 0, sampler, 'model')
      link(encode, 0, sampler, 'positive')
      link(encode, 0, sampler, 'negative')
      const latent = add(g, 'EmptyLatentImage')
      link(latent, 0, sampler, 'latent_image')
      link(sampler, 0, add(g, 'VAEDecode'), 'samples')
    })

  addCase('plain-widget-linked', 'plain', 'widget inputs fed by links and LoadImage upload values',
    (g) => {
      const load = add(g, 'LoadImage')
      const size = add(g, 'GetImageSize')
      link(load, 0, size, 'image')
      const image = add(g, 'EmptyImage', { width: 512, height: 512, batch_size: 1, color: 0 })
      link(size, 0, image, 'width')
      link(size, 1, image, 'height')
      link(image, 0, add(g, 'SaveImage', { filename_prefix: 'linked' }), 'images')
    })

  addCase('plain-unknown-type', 'plain', 'a node type the server does not have, with links and widget values',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const blur = add(g, 'ImageBlur', { blur_radius: 2, sigma: 0.5 })
      link(image, 0, blur, 'image')
      link(blur, 0, add(g, 'SaveImage', { filename_prefix: 'unknown' }), 'images')
    },
    (w) => {
      for (const n of w.nodes) if (n.type === 'ImageBlur') n.type = 'FancyBlurFromACustomPack'
    },
    null,
    'the frontend sends a node it has no class for without class_type and with every value under ' +
      'the one name "UNKNOWN"; comfysh keeps its class_type and names the values after the widget ' +
      'inputs the file lists, so the server names the missing class')

  addCase('plain-big-seed', 'plain', 'a seed above 2^53 written by another tool keeps its digits',
    (g) => {
      const sampler = add(g, 'KSampler', { seed: 4242, steps: 2 })
      const latent = add(g, 'EmptyLatentImage')
      link(latent, 0, sampler, 'latent_image')
    },
    null,
    (text) => text.replace('4242', '18446744073709551615'),
    'the frontend reads numbers as doubles and sends 18446744073709552000; comfysh keeps the digits ' +
      'as written (issue 11, point 5)')

  // Subgraphs ------------------------------------------------------------------------------

  addCase('subgraph-basic', 'subgraph', 'one subgraph with a link in and a link out; ids outer:inner',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const invert = add(g, 'ImageInvert')
      const blur = add(g, 'ImageBlur', { blur_radius: 1, sigma: 1 })
      const save = add(g, 'SaveImage', { filename_prefix: 'sg' })
      link(image, 0, invert, 'image')
      link(invert, 0, blur, 'image')
      link(blur, 0, save, 'images')
      subgraph(g, [invert, blur])
    })

  addCase('subgraph-nested-3', 'subgraph', 'three levels of nested subgraphs (ids a:b:c:d)',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const invert = add(g, 'ImageInvert')
      const blur = add(g, 'ImageBlur', { blur_radius: 2, sigma: 1 })
      const sharpen = add(g, 'ImageSharpen', { sharpen_radius: 1, sigma: 1, alpha: 1 })
      const save = add(g, 'SaveImage', { filename_prefix: 'nested' })
      link(image, 0, invert, 'image')
      link(invert, 0, blur, 'image')
      link(blur, 0, sharpen, 'image')
      link(sharpen, 0, save, 'images')
      const level1 = subgraph(g, [invert, blur, sharpen])
      const inner1 = level1.subgraph.nodes.filter((n) => n.type === 'ImageBlur' || n.type === 'ImageSharpen')
      const level2 = subgraph(level1.subgraph, inner1)
      const inner2 = level2.subgraph.nodes.filter((n) => n.type === 'ImageSharpen')
      subgraph(level2.subgraph, inner2)
    })

  addCase('subgraph-widget-linked', 'subgraph', 'an inner widget input exposed as a subgraph input, linked outside',
    (g) => {
      const number = add(g, 'PrimitiveInt', { value: 96 })
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const save = add(g, 'SaveImage', { filename_prefix: 'wl' })
      link(number, 0, image, 'width')
      link(image, 0, save, 'images')
      subgraph(g, [image])
    })

  addCase('subgraph-widget-promoted', 'subgraph',
    'a promoted widget (subgraph input left unlinked outside): the subgraph node value wins over the inner one',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const save = add(g, 'SaveImage', { filename_prefix: 'promo' })
      link(image, 0, save, 'images')
      const { subgraph: sub, node } = subgraph(g, [image])
      const inner = sub.nodes.find((n) => n.type === 'EmptyImage')
      promote(sub, inner, 'width')
      promote(sub, inner, 'color')
      promoted(node, 'width').value = 200
      set(inner, 'height', 48)
    })

  addCase('subgraph-widget-promoted-inner-value', 'subgraph',
    'a promoted widget whose inner widget was changed after promotion',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const save = add(g, 'SaveImage', { filename_prefix: 'promo2' })
      link(image, 0, save, 'images')
      const { subgraph: sub, node } = subgraph(g, [image])
      const inner = sub.nodes.find((n) => n.type === 'EmptyImage')
      promote(sub, inner, 'width')
      promoted(node, 'width').value = 111
      set(inner, 'width', 222)
    })

  addCase('subgraph-widget-primitive', 'subgraph', 'a PrimitiveNode feeding a promoted subgraph input',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const save = add(g, 'SaveImage', { filename_prefix: 'sgprim' })
      link(image, 0, save, 'images')
      const { subgraph: sub, node } = subgraph(g, [image])
      const inner = sub.nodes.find((n) => n.type === 'EmptyImage')
      promote(sub, inner, 'height')
      const primitive = add(g, 'PrimitiveNode')
      link(primitive, 0, node, 'height')
      if (primitive.widgets?.length) primitive.widgets[0].value = 77
    })

  addCase('subgraph-one-input-two-widgets', 'subgraph', 'one subgraph input feeding widgets of two inner nodes',
    (g) => {
      const a = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const b = add(g, 'EmptyImage', { width: 32, height: 32, batch_size: 1, color: 0 })
      link(a, 0, add(g, 'SaveImage', { filename_prefix: 'two' }), 'images')
      link(b, 0, add(g, 'PreviewImage'), 'images')
      const { subgraph: sub, node } = subgraph(g, [a, b])
      const [innerA, innerB] = sub.nodes.filter((n) => n.type === 'EmptyImage')
      const subgraphInput = promote(sub, innerA, 'width')
      subgraphInput.connect(innerB.inputs[input(innerB, 'width')], innerB)
      promoted(node, 'width').value = 150
    })

  addCase('subgraph-bypassed', 'subgraph', 'a bypassed subgraph node',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const invert = add(g, 'ImageInvert')
      const save = add(g, 'SaveImage', { filename_prefix: 'bypass' })
      link(image, 0, invert, 'image')
      link(invert, 0, save, 'images')
      const { node } = subgraph(g, [invert])
      node.mode = BYPASS
    })

  addCase('subgraph-muted', 'subgraph', 'a muted subgraph node',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const invert = add(g, 'ImageInvert')
      const save = add(g, 'SaveImage', { filename_prefix: 'muted' })
      link(image, 0, invert, 'image')
      link(invert, 0, save, 'images')
      link(image, 0, add(g, 'PreviewImage'), 'images')
      const { node } = subgraph(g, [invert, save])
      node.mode = NEVER
    })

  addCase('subgraph-inner-modes', 'subgraph', 'bypassed and muted nodes inside a subgraph',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const invert = add(g, 'ImageInvert', {}, { mode: BYPASS })
      const blur = add(g, 'ImageBlur', { blur_radius: 1, sigma: 1 })
      const muted = add(g, 'ImageInvert', {}, { mode: NEVER })
      const save = add(g, 'SaveImage', { filename_prefix: 'inner' })
      link(image, 0, invert, 'image')
      link(invert, 0, blur, 'image')
      link(blur, 0, muted, 'image')
      link(blur, 0, save, 'images')
      link(muted, 0, add(g, 'PreviewImage'), 'images')
      subgraph(g, [invert, blur, muted])
    })

  addCase('subgraph-instances', 'subgraph', 'one subgraph definition used by two instances with their own values',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const blur = add(g, 'ImageBlur', { blur_radius: 1, sigma: 1 })
      const save = add(g, 'SaveImage', { filename_prefix: 'inst' })
      link(image, 0, blur, 'image')
      link(blur, 0, save, 'images')
      const { subgraph: sub, node } = subgraph(g, [blur])
      const inner = sub.nodes.find((n) => n.type === 'ImageBlur')
      promote(sub, inner, 'blur_radius')
      promoted(node, 'blur_radius').value = 5
      const second = LiteGraph.createNode(sub.id)
      g.add(second)
      link(image, 0, second, node.inputs[0].name)
      link(second, 0, add(g, 'PreviewImage'), 'images')
      promoted(second, 'blur_radius').value = 9
    })

  addCase('subgraph-outputs', 'subgraph', 'a subgraph with two outputs, one used twice, and a Reroute inside',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const reroute = add(g, 'Reroute')
      const invert = add(g, 'ImageInvert')
      const size = add(g, 'GetImageSize')
      link(image, 0, reroute, '')
      link(reroute, 0, invert, 'image')
      link(reroute, 0, size, 'image')
      link(invert, 0, add(g, 'SaveImage', { filename_prefix: 'outs' }), 'images')
      link(invert, 0, add(g, 'PreviewImage'), 'images')
      const other = add(g, 'EmptyImage', { width: 8, height: 8, batch_size: 1, color: 0 })
      link(size, 0, other, 'width')
      link(other, 0, add(g, 'PreviewImage'), 'images')
      subgraph(g, [reroute, invert, size])
    })

  addCase('subgraph-text-replace', 'subgraph', '%Title.widget% naming a node inside a subgraph, from a save node inside one',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 300, height: 100, batch_size: 1, color: 0 }, { title: 'Source' })
      const save = add(g, 'SaveImage', { filename_prefix: 'sg_%Source.width%_%EmptyImage.height%' })
      link(image, 0, save, 'images')
      subgraph(g, [image])
      const save2 = add(g, 'SaveImage', { filename_prefix: 'inner_%Source.height%' })
      const image2 = add(g, 'EmptyImage', { width: 10, height: 10, batch_size: 1, color: 0 })
      link(image2, 0, save2, 'images')
      subgraph(g, [save2])
    })

  addCase('subgraph-showcase', 'subgraph',
    'three nested levels, a bypassed subgraph and a promoted widget (the closing-note session)',
    (g) => {
      const ckpt = add(g, 'CheckpointLoaderSimple', { ckpt_name: 'v1-5-pruned-emaonly.safetensors' })
      const positive = add(g, 'CLIPTextEncode', { text: 'a lighthouse at dusk, film grain' }, { title: 'Prompt' })
      const negative = add(g, 'CLIPTextEncode', { text: 'blurry' }, { title: 'Negative' })
      const latent = add(g, 'EmptyLatentImage', { width: 512, height: 512, batch_size: 1 })
      const sampler = add(g, 'KSampler', { seed: 42, control_after_generate: 'fixed', steps: 20, cfg: 7 })
      const decode = add(g, 'VAEDecode')
      const invert = add(g, 'ImageInvert')
      const save = add(g, 'SaveImage', { filename_prefix: 'lighthouse' })
      link(ckpt, 0, sampler, 'model')
      link(ckpt, 1, positive, 'clip')
      link(ckpt, 1, negative, 'clip')
      link(positive, 0, sampler, 'positive')
      link(negative, 0, sampler, 'negative')
      link(latent, 0, sampler, 'latent_image')
      link(sampler, 0, decode, 'samples')
      link(ckpt, 2, decode, 'vae')
      link(decode, 0, invert, 'image')
      link(invert, 0, save, 'images')
      // Level 1 holds the sampling; level 2 the sampler and decode; level 3 the sampler alone.
      const outer = subgraph(g, [positive, negative, latent, sampler, decode])
      outer.node.title = 'Render'
      const inner1 = outer.subgraph.nodes.filter((n) => n.type === 'KSampler' || n.type === 'VAEDecode')
      const middle = subgraph(outer.subgraph, inner1)
      middle.node.title = 'Sample and decode'
      const inner2 = middle.subgraph.nodes.filter((n) => n.type === 'KSampler')
      const deepest = subgraph(middle.subgraph, inner2)
      deepest.node.title = 'Sampler'
      const innerSampler = deepest.subgraph.nodes.find((n) => n.type === 'KSampler')
      promote(deepest.subgraph, innerSampler, 'steps')
      promoted(deepest.node, 'steps').value = 12
      // A bypassed subgraph around the invert step.
      const bypassed = subgraph(g, [invert])
      bypassed.node.title = 'Post-process'
      bypassed.node.mode = BYPASS
    })

  addCase('subgraph-promoted-two-levels', 'subgraph',
    'a widget promoted through two nested subgraphs: the outermost value wins',
    (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const save = add(g, 'SaveImage', { filename_prefix: 'deep' })
      link(image, 0, save, 'images')
      const outer = subgraph(g, [image])
      const innerImage = outer.subgraph.nodes.find((n) => n.type === 'EmptyImage')
      const middle = subgraph(outer.subgraph, [innerImage])
      const deepImage = middle.subgraph.nodes.find((n) => n.type === 'EmptyImage')
      promote(middle.subgraph, deepImage, 'width')
      promoted(middle.node, 'width').value = 300
      promote(outer.subgraph, middle.node, 'width')
      promoted(outer.node, 'width').value = 400
    })

  // Random graphs: a seeded generator mixes the features above, to find the next difference.
  function random(seed) {
    let state = seed >>> 0
    const next = () => {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    next.pick = (list) => list[Math.floor(next() * list.length)]
    return next
  }

  const imageClasses = ['ImageInvert', 'ImageBlur', 'ImageSharpen', 'ImageScaleBy', 'ImageFlip',
    'ImageBlend', 'RepeatImageBatch', 'ImageScale', 'ImageQuantize', 'Reroute']
  const sinkClasses = ['SaveImage', 'PreviewImage']

  function randomGraph(g, seed) {
    const r = random(seed)
    const sources = [add(g, 'EmptyImage', { width: 64 + Math.floor(r() * 8) * 8, height: 64, batch_size: 1, color: 0 })]
    if (r() < 0.5) sources.push(add(g, 'LoadImage'))
    const producers = [...sources]
    const all = [...sources]
    const count = 5 + Math.floor(r() * 7)
    for (let i = 0; i < count; i++) {
      const type = r.pick(imageClasses.filter((t) => LiteGraph.registered_node_types[t]))
      const node = add(g, type)
      all.push(node)
      for (const [index, slot] of node.inputs.entries()) {
        if ((slot.type === 'IMAGE' || type === 'Reroute') && r() < 0.9) {
          const from = r.pick(producers)
          from.connect(0, node, index)
        } else if (slot.widget && slot.type === 'INT' && r() < 0.15) {
          const size = producers.find((n) => n.type === 'GetImageSize')
          if (size) size.connect(0, node, index)
        }
      }
      for (const widget of node.widgets ?? []) {
        if (widget.type === 'number' && r() < 0.4) {
          const { min = 0, max = 100, step2 = 1 } = widget.options
          widget.value = Math.min(max, Math.max(min, Math.round((min + r() * Math.min(max - min, 16)) / step2) * step2))
        } else if (widget.type === 'combo' && widget.options.values?.length && r() < 0.4) {
          widget.value = r.pick(widget.options.values)
        }
      }
      if (r() < 0.15) node.mode = BYPASS
      else if (r() < 0.1) node.mode = NEVER
      if (r() < 0.2) node.title = `step ${i}`
      if (node.outputs.length) producers.push(node)
    }
    if (r() < 0.5) {
      const size = add(g, 'GetImageSize')
      r.pick(producers).connect(0, size, 0)
      const image = add(g, 'EmptyImage', { width: 8, height: 8, batch_size: 1, color: 0 })
      size.connect(0, image, input(image, 'width'))
      producers.push(image)
      all.push(size, image)
    }
    if (r() < 0.3) {
      const primitive = add(g, 'PrimitiveNode')
      const target = all.find((n) => n.inputs?.some((i) => i.widget && i.type === 'INT' && i.link == null))
      if (target) {
        const index = target.inputs.findIndex((i) => i.widget && i.type === 'INT' && i.link == null)
        primitive.connect(0, target, index)
        if (primitive.widgets?.length) primitive.widgets[0].value = 5
      }
    }
    for (let i = 0; i < 2; i++) link(r.pick(producers), 0, add(g, r.pick(sinkClasses)), 'images')
    // Subgraphs of random runs of nodes, sometimes nested, with a promoted widget.
    let graph = g
    for (let depth = 0; depth < 3 && r() < 0.7; depth++) {
      const candidates = graph.nodes.filter((n) => !n.isSubgraphNode?.() && n.type !== 'PrimitiveNode')
      if (candidates.length < 2) break
      const start = Math.floor(r() * (candidates.length - 1))
      const chosen = candidates.slice(start, start + 2 + Math.floor(r() * 3))
      let made
      try {
        made = subgraph(graph, chosen)
      } catch (error) {
        break
      }
      if (r() < 0.3) made.node.mode = r() < 0.5 ? BYPASS : NEVER
      const withWidget = made.subgraph.nodes.find((n) => n.inputs?.some((i) => i.widget && i.link == null && i.type === 'INT'))
      if (withWidget && r() < 0.7) {
        const slot = withWidget.inputs.find((i) => i.widget && i.link == null && i.type === 'INT')
        try {
          promote(made.subgraph, withWidget, slot.name)
          const widget = made.node.widgets.find((w) => w.name === slot.name)
          if (widget) widget.value = 1 + Math.floor(r() * 9)
        } catch (error) {}
      }
      if (r() < 0.4) {
        const copy = LiteGraph.createNode(made.subgraph.id)
        g === graph && g.add(copy)
      }
      graph = made.subgraph
    }
  }

  for (let seed = 1; seed <= 12; seed++) {
    addCase(`random-${String(seed).padStart(2, '0')}`, 'random', `a random graph (seed ${seed}) mixing the features above`,
      (g) => randomGraph(g, seed))
  }

  // Legacy group nodes ----------------------------------------------------------------------

  async function groupNode(g, nodes, name) {
    app.canvas.deselectAll()
    app.canvas.selectNodes(nodes)
    const { GroupNodeHandler } = window.comfyAPI.groupNode
    const made = GroupNodeHandler.fromNodes(nodes)
    // The extension asks for a name in a dialog: answer it.
    const deadline = Date.now() + 10000
    let field
    while (!(field = document.querySelector('.p-dialog input')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
    }
    if (!field) throw new Error('the group node name dialog did not open')
    field.value = name
    field.dispatchEvent(new Event('input', { bubbles: true }))
    field.dispatchEvent(new KeyboardEvent('keyup', { key: 'Enter', bubbles: true }))
    field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    const button = [...document.querySelectorAll('.p-dialog button')].find((b) => /confirm|ok/i.test(b.textContent))
    if (button && document.querySelector('.p-dialog input')) button.click()
    const node = await made
    if (!node) throw new Error('no group node was made')
    return node
  }

  addCase('groupnode-basic', 'group node', 'a legacy group node (workflow>…) with ids group:index',
    async (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const invert = add(g, 'ImageInvert')
      const blur = add(g, 'ImageBlur', { blur_radius: 4, sigma: 2 })
      const save = add(g, 'SaveImage', { filename_prefix: 'group' })
      link(image, 0, invert, 'image')
      link(invert, 0, blur, 'image')
      link(blur, 0, save, 'images')
      const node = await groupNode(g, [invert, blur], 'invert and blur')
      const radius = node.widgets.find((w) => w.name.endsWith('blur_radius'))
      if (radius) radius.value = 6
    })

  addCase('groupnode-bypassed-member', 'group node', 'a group node holding a bypassed node, and a bypassed group node',
    async (g) => {
      const image = add(g, 'EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 })
      const invert = add(g, 'ImageInvert', {}, { mode: BYPASS })
      const blur = add(g, 'ImageBlur', { blur_radius: 4, sigma: 2 })
      const save = add(g, 'SaveImage', { filename_prefix: 'group2' })
      link(image, 0, invert, 'image')
      link(invert, 0, blur, 'image')
      link(blur, 0, save, 'images')
      await groupNode(g, [invert, blur], 'bypass inside')
      const a = add(g, 'ImageInvert')
      const b = add(g, 'ImageSharpen', { sharpen_radius: 1, sigma: 1, alpha: 1 })
      link(image, 0, a, 'image')
      link(a, 0, b, 'image')
      link(b, 0, add(g, 'PreviewImage'), 'images')
      const outer = await groupNode(g, [a, b], 'bypassed group')
      outer.mode = BYPASS
    })

  async function buildAll(only) {
    const results = []
    const fixed = Date.UTC(2025, 9, 11, 8, 5, 3)
    for (const c of cases) {
      if (only && !only.includes(c.name)) continue
      try {
        const g = fresh()
        await c.build(g)
        const saved = app.graph.serialize()
        if (c.edit) c.edit(saved)
        let text = JSON.stringify(saved)
        if (c.editText) text = c.editText(text)
        const api = await convert(text, fixed)
        results.push({ name: c.name, category: c.category, covers: c.covers, difference: c.difference, slow: c.slow, ui: text, api })
        if (c.name.startsWith('subgraph-') || c.name.startsWith('groupnode-') || c.name.startsWith('random-') || c.name === 'plain-primitive-node') {
          // What a PNG's workflow chunk holds: graphToPrompt's own copy, with unlinked widget inputs
          // dropped and link target slots renumbered (compressWidgetInputSlots).
          await load(JSON.parse(text))
          const compressed = JSON.stringify((await atTime(fixed, () => app.graphToPrompt())).workflow)
          results.push({
            name: c.name + '-as-in-png', category: c.category + ' (PNG workflow)',
            covers: c.covers + "; as graphToPrompt's workflow (the PNG's chunk) writes it",
            difference: c.difference, ui: compressed, api: await convert(compressed, fixed)
          })
        }
      } catch (error) {
        results.push({ name: c.name, error: String(error && error.stack ? error.stack : error) })
      }
    }
    return results
  }

  window.comfyshOracle = { convert, buildAll, cases }
})()
