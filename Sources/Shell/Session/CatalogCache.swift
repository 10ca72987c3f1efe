import ComfyClient
import ComfyRules
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// Node catalogs kept under `$XDG_CACHE_HOME/comfysh/catalogs` as `CatalogFile`s, so a later process
/// opens one by mapping it and parses only the classes it uses. A file that is missing, stale or not
/// in the current format is read again from its source; the cache is never the only copy of anything.
enum CatalogCache {
  static var folder: String { ShellPaths.cacheFolder + "/catalogs" }

  /// A server's catalog, keyed by its address and ComfyUI version; a simulator's by the digest of the
  /// catalog it serves (which can change while its version stays, and stays while its port changes).
  static func serverPath(address: ServerAddress, version: String, simulatorDigest: String?) -> String {
    if let digest = simulatorDigest { return folder + "/simulator-\(digest).catalog" }
    let key = String(address.description.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    return folder + "/\(key)-\(version).catalog"
  }

  /// The cached catalog at `path` if it was made from exactly `facts`.
  static func open(_ path: String, facts: JSONObject, comfyUIVersion: String?) -> Catalog? {
    guard let file = try? CatalogFile.open(path), file.facts == facts else { return nil }
    return file.catalog(comfyUIVersion: comfyUIVersion)
  }

  /// Saves `catalog` for the next process; a cache that cannot be written is only slower next time.
  static func store(_ catalog: Catalog, facts: JSONObject, at path: String) {
    try? FileIO.createFolder(folder, mode: 0o700)
    try? FileIO.writeAtomically(path, CatalogFile.encode(catalog, facts: facts), mode: 0o600, durable: false)
    // Earlier versions kept the plain object_info beside it under the same key.
    if path.hasSuffix(".catalog") { unlink(String(path.dropLast(".catalog".count)) + ".json") }
  }

  /// `--catalog FILE`: the file's own cache, used while the file keeps its size, time and inode.
  static func read(file path: String) async throws -> Catalog {
    var info = stat()
    let isRegular = stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    let absolute = path.hasPrefix("/") ? path : FileIO.currentFolder() + "/" + path
    let facts: JSONObject = [
      "file": .string(absolute), "size": .int(Int(info.st_size)), "inode": .int(Int(info.st_ino)),
      "mtime_ns": .int(Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)),
    ]
    let cachePath = folder + "/file-\(ShortDigest.hex(absolute)).catalog"
    if isRegular, let cached = open(cachePath, facts: facts, comfyUIVersion: nil) { return cached }
    let catalog = try await Catalog(objectInfoBytes: FileIO.readInterruptibly(path, limit: .catalog))
    if isRegular {
      store(catalog, facts: facts, at: cachePath)
      removeOldFileCaches(keeping: cachePath)
    }
    return catalog
  }

  /// Caches of `--catalog` files are named by path, so files that come and go (a test's temporary
  /// folder, a download) would pile up: only the most recently written few are kept.
  static func removeOldFileCaches(keeping kept: String, limit: Int = 16) {
    var caches: [(path: String, time: Int)] = []
    for name in FileIO.names(in: folder) where name.hasPrefix("file-") && name.hasSuffix(".catalog") {
      let path = folder + "/" + name
      var info = stat()
      guard path != kept, stat(path, &info) == 0 else { continue }
      caches.append((path, Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)))
    }
    guard caches.count >= limit else { return }
    for old in caches.sorted(by: { $0.time > $1.time }).dropFirst(limit - 1) { unlink(old.path) }
  }
}
