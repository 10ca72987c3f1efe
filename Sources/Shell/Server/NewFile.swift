import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// Creating a file that must not exist yet, atomically: written in full under a temporary name, then
/// hard-linked to its name, which fails if a file of that name appeared meanwhile.
enum NewFile {
  enum Failure: Error {
    case exists
    case other(String)
  }

  static func write(_ path: String, _ bytes: [UInt8]) throws(Failure) {
    let folder = FileIO.parentFolder(of: path)
    let temporary = folder + "/.comfysh-new-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    do {
      try FileIO.writeAtomically(temporary, bytes)
    } catch {
      throw .other(error.reason)
    }
    defer { unlink(temporary) }
    if link(temporary, path) != 0 {
      let code = errno
      if code == EEXIST { throw .exists }
      throw .other(String(cString: strerror(code)))
    }
  }
}
