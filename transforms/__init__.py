"""Pure polars transforms: frames in, frames out. No I/O beyond the readers in `readers`."""
