"""The status page's HTML: pure functions from the JSON API's documents to text.

Every string that comes from the config (names, labels, URLs) goes through
:func:`common.esc`; links are kept only when they are http(s). No script, font or
stylesheet is fetched: the CSS is inline and the charts are inline SVG.
"""
