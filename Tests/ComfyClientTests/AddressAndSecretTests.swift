import ComfyClient
import Testing

@Suite struct AddressAndSecretTests {
  @Test func addresses() throws {
    let plain = try ServerAddress("http://127.0.0.1:8188")
    #expect(plain.description == "http://127.0.0.1:8188" && plain.port == 8188 && plain.isLoopback)
    #expect(plain.webSocketURL(clientID: "a b") == "ws://127.0.0.1:8188/ws?clientId=a%20b")
    #expect(plain.url("/prompt") == "http://127.0.0.1:8188/prompt")
    let bare = try ServerAddress("localhost:8188/")
    #expect(bare.description == "http://localhost:8188" && bare.isLoopback)
    let secure = try ServerAddress("https://Comfy.example.com/comfy/")
    #expect(secure.description == "https://comfy.example.com/comfy" && !secure.isLoopback)
    #expect(secure.webSocketURL(clientID: "x") == "wss://comfy.example.com/comfy/ws?clientId=x")
    let v6 = try ServerAddress("http://[::1]:9000")
    #expect(v6.host == "[::1]" && v6.port == 9000 && v6.isLoopback)
    #expect(try ServerAddress("ws://127.0.0.1:1").scheme == "http")
    for bad in ["", "ftp://x", "http://:80", "http://host:99999", "http://host:abc", "http://[::1"] {
      #expect(throws: ComfyClientError.self, "\(bad)") { try ServerAddress(bad) }
    }
  }

  @Test func keysAreMasked() {
    #expect(Secrets.mask("comfyui-87d0aaaabbbbccccddddeeeeffffc1f2") == "comfyui-87d0…c1f2")
    #expect(Secrets.mask("comfyui-FAKEKEY") == "••••")
    #expect(Secrets.mask("short") == "••••")
    #expect(Secrets.mask("abcdefghijklmnopqrstuvwxyz") == "abcdefghijkl…wxyz")
    let text = "X-API-KEY: comfyui-87d0aaaabbbbccccddddeeeeffffc1f2 sent"
    #expect(Secrets.maskText(text) == "X-API-KEY: comfyui-87d0…c1f2 sent")
    #expect(Secrets.maskText(Secrets.maskText(text)) == Secrets.maskText(text))
    #expect(Secrets.maskText("my key is hunter2hunter2", known: ["hunter2hunter2"]) == "my key is ••••")
    // Not key-shaped: a package name is left alone.
    #expect(Secrets.maskText("comfyui-frontend-package 1.27.10") == "comfyui-frontend-package 1.27.10")
    let masked = Secrets.masked(
      ["extra_data": ["api_key_comfy_org": "sk-abcdefghijklmnopqrstuvwxyz", "client_id": "c"], "note": "ok"])
    #expect(masked["extra_data"]?["api_key_comfy_org"] == "sk-abcdefghi…wxyz")
    #expect(masked["extra_data"]?["client_id"] == "c" && masked["note"] == "ok")
  }

  @Test func clientIDsAreUUIDs() {
    let id = makeClientID()
    #expect(id.count == 36 && id.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
    #expect(Array(id)[14] == "4")
    #expect(makeClientID() != id)
  }
}
