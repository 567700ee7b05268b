#!/usr/bin/python3
"""Real QGIS (Debian's python3-qgis, headless) as a GIS officer uses it against plotmap:
an OGC API Features layer per collection, a filtered layer, the XYZ vector-tile layer, and a
rendered map; and plotmap's export files (GeoPackage, FlatGeobuf) opened as files, with a box
filter through each file's own spatial index against a scan. Prints one JSON object with what
QGIS saw; tests/e2e/test_qgis.cpp checks it.

Usage: qgis_client.py BASE_URL OUT_PNG [EXPORT_FILE ...]
"""
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="plotmap-qgis-")  # private (0700), as Qt wants

from qgis.core import (  # noqa: E402  (the environment must be set first)
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsFillSymbol,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorTileLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

base, out_png, export_files = sys.argv[1], sys.argv[2], sys.argv[3:]
app = QgsApplication([], False)
app.initQgis()
result = {"qgis": app.applicationVersion() if hasattr(app, "applicationVersion") else "", "layers": {}}


def oapif(collection, subset=None):
    uri = f"url='{base}' typename='{collection}' pageSize='1000' restrictToRequestBBOX='0'"
    layer = QgsVectorLayer(uri, collection, "OAPIF")
    if subset and layer.isValid():
        layer.setSubsetString(subset)
    return layer


def describe(layer):
    if not layer.isValid():
        return {"valid": False, "error": layer.error().summary()}
    n = 0
    fields = [f.name() for f in layer.fields()]
    with_geometry = 0
    for f in layer.getFeatures():
        n += 1
        if f.hasGeometry() and not f.geometry().isEmpty():
            with_geometry += 1
    return {"valid": True, "features": n, "with_geometry": with_geometry, "fields": fields,
            "crs": layer.crs().authid()}


for name in ["plots", "pins", "adm1", "adm2", "adm3"]:
    result["layers"][name] = describe(oapif(name))

filtered = oapif("pins", "stage = 'complete'")
result["layers"]["pins_complete"] = describe(filtered)

tiles = QgsVectorTileLayer(f"type=xyz&url={base}/tiles/plots/{{z}}/{{x}}/{{y}}.mvt&zmin=0&zmax=18", "plot tiles")
result["layers"]["tiles"] = {"valid": tiles.isValid(), "crs": tiles.crs().authid() if tiles.isValid() else ""}

# A map around one plot: plots in red over the subdistricts of its district, as QGIS draws it.
plots = oapif("plots")
plots.renderer().setSymbol(QgsFillSymbol.createSimple({"color": "220,40,20,255", "outline_color": "120,0,0,255"}))
first = next(plots.getFeatures(), None)
district = first["adm2"] if first is not None else ""
subdistricts = oapif("adm3", f"adm2 = '{district}'")
subdistricts.renderer().setSymbol(QgsFillSymbol.createSimple({"color": "250,250,240,255", "outline_color": "90,90,90,255"}))
for layer in (subdistricts, plots, tiles):
    QgsProject.instance().addMapLayer(layer)
settings = QgsMapSettings()
settings.setLayers([plots, subdistricts])
settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
to_mercator = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"),
                                     QgsCoordinateReferenceSystem("EPSG:3857"), QgsProject.instance())
extent = QgsRectangle(97.3, 5.6, 105.7, 20.5)
if first is not None:
    extent = first.geometry().boundingBox()
    extent.grow(0.004)  # about 400 m around it
settings.setExtent(to_mercator.transformBoundingBox(extent))
settings.setOutputSize(QSize(800, 800))
settings.setBackgroundColor(QColor(255, 255, 255))
job = QgsMapRendererSequentialJob(settings)
job.start()
job.waitForFinished()
image = job.renderedImage()
image.save(out_png, "PNG")
drawn = 0
plot_pixels = 0
for y in range(image.height()):
    for x in range(image.width()):
        c = image.pixelColor(x, y)
        if c != QColor(255, 255, 255):
            drawn += 1
        if c.red() > 150 and c.green() < 90 and c.blue() < 90:
            plot_pixels += 1
result["map"] = {"png": out_png, "pixels": image.width() * image.height(), "drawn": drawn, "plot_pixels": plot_pixels,
                 "district": district}

# Export files as a GIS officer opens them (Layer > Add Vector Layer): every feature, and a box
# filter, which the OGR provider answers through the file's spatial index (R*Tree, packed
# Hilbert R-tree), against the same box tested on every feature.
result["files"] = {}
for path in export_files:
    layer = QgsVectorLayer(path, os.path.basename(path), "ogr")
    seen = describe(layer)
    if layer.isValid():
        # A thin strip across the first plot's middle, a degree wide: it cuts through plots,
        # so an index box that does not hold its plot shows up as a missing feature.
        first = next(layer.getFeatures(), None)
        middle = first.geometry().boundingBox().center() if first is not None else None
        box = QgsRectangle(middle.x() - 0.5, middle.y() - 1e-7, middle.x() + 0.5, middle.y() + 1e-7) if middle else QgsRectangle(99, 16, 100, 17)
        seen["in_box"] = sum(1 for _ in layer.getFeatures(QgsFeatureRequest().setFilterRect(box)))
        seen["in_box_scan"] = sum(1 for f in layer.getFeatures() if f.hasGeometry() and f.geometry().boundingBox().intersects(box))
    result["files"][os.path.basename(path)] = seen

print("QGIS-RESULT " + json.dumps(result), flush=True)
QgsProject.instance().removeAllMapLayers()
app.exitQgis()
shutil.rmtree(os.environ["XDG_RUNTIME_DIR"], ignore_errors=True)
# Python's own teardown after exitQgis() can crash in QGIS 3.22's bindings; all is done.
os._exit(0)
