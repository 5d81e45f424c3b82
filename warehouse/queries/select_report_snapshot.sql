-- Report: what the snapshot covers and when it was built. One row (none in a snapshot without meta).
select * from meta.snapshot
