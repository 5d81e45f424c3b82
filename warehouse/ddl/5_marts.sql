-- marts: the tables BI tools read. Each mart's table is declared by its file in
-- warehouse/marts/ and created from that declaration (warehouse/marts.py).
create schema if not exists marts;
