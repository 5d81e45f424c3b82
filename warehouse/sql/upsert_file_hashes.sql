-- One row per file just hashed (registered as _file_hashes); it replaces the file's earlier row.
insert or replace into meta.file_hashes by name
select path, size_bytes, mtime_ns, ctime_ns, inode, device, sha256, hashed_at
from _file_hashes
