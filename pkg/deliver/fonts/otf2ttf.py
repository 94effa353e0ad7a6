"""Converts an OpenType font with CFF outlines to TrueType outlines.

The PDF renderer embeds CFF fonts only when they hold one font; Noto Sans CJK
is a CID-keyed CFF with several. Cubic curves become quadratic ones within one
font unit (fontTools' cu2qu). Usage: python3 otf2ttf.py IN.otf OUT.ttf (see
README.md).
"""
import sys

from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

font = TTFont(sys.argv[1])
order = font.getGlyphOrder()
glyphs = font.getGlyphSet()
glyf = newTable("glyf")
glyf.glyphOrder = order
glyf.glyphs = {}
for name in order:
    pen = TTGlyphPen(glyphs)
    glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
    glyf[name] = pen.glyph()
font["loca"] = newTable("loca")
font["glyf"] = glyf
del font["CFF "]
if "VORG" in font:
    del font["VORG"]
maxp = font["maxp"]
maxp.tableVersion = 0x00010000
for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
              "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
    setattr(maxp, field, 0)
maxp.maxZones = 1
font["head"].glyphDataFormat = 0
font["head"].indexToLocFormat = 0
post = font["post"]
post.formatType = 3.0
post.extraNames, post.mapping, post.glyphOrder = [], {}, None
font.sfntVersion = "\x00\x01\x00\x00"
font.save(sys.argv[2])
