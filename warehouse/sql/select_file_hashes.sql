-- One row per landing file hashed before: the stamp it had when hashed, and the hash.
select path, size_bytes, mtime_ns, ctime_ns, inode, device, sha256
from meta.file_hashes
