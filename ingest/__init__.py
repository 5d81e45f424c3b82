"""What arrives: landing files read into frames, and CBS's open data fetched into the landing zone.

Readers turn a file into text frames with its line numbers; they judge the file (format,
encoding, header), never its rows. Rows are judged by the sources and their suites.
"""
