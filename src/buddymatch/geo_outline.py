"""A simplified coastline of Great Britain and Ireland, for map backgrounds.

The map of a proposal (:mod:`buddymatch.mapping`) draws trusts at their
coordinates over this outline, so that a reader recognises the country at a
glance.  It works offline: no map tiles are fetched.

The polygons were traced by hand at roughly 10-30 km resolution from
well-known headlands, estuaries and towns; they are recognisable, not
accurate, and must never be used to decide whether a point is on land.
Each is a sequence of ``(lon, lat)`` pairs in WGS84 degrees, in order around
the coast; the last point joins the first.
"""

from __future__ import annotations

#: One island or land mass: ``(lon, lat)`` pairs in order around the coast.
Polygon = tuple[tuple[float, float], ...]

#: Great Britain, clockwise from Dover: the south coast westwards, up the
#: west coast of England, Wales and Scotland, and down the east coast.
GREAT_BRITAIN: Polygon = (
    (1.32, 51.13),  # Dover
    (0.97, 50.91),  # Dungeness
    (0.58, 50.85),  # Hastings
    (0.25, 50.74),  # Beachy Head
    (-0.14, 50.82),  # Brighton
    (-0.79, 50.72),  # Selsey Bill
    (-1.09, 50.80),  # Portsmouth
    (-1.35, 50.86),  # Southampton Water
    (-1.55, 50.71),  # Lymington
    (-1.88, 50.71),  # Bournemouth
    (-2.06, 50.58),  # St Alban's Head
    (-2.45, 50.55),  # Portland
    (-2.94, 50.72),  # Lyme Regis
    (-3.41, 50.61),  # Exmouth
    (-3.64, 50.22),  # Start Point
    (-4.14, 50.33),  # Plymouth
    (-4.64, 50.32),  # Fowey
    (-5.02, 50.15),  # Falmouth
    (-5.20, 49.96),  # Lizard Point
    (-5.53, 50.10),  # Mount's Bay
    (-5.71, 50.07),  # Land's End
    (-5.48, 50.21),  # St Ives
    (-5.08, 50.42),  # Newquay
    (-4.94, 50.55),  # Padstow
    (-4.55, 50.83),  # Bude
    (-4.53, 51.02),  # Hartland Point
    (-4.23, 51.04),  # Bideford Bay
    (-4.12, 51.21),  # Ilfracombe
    (-3.47, 51.21),  # Minehead
    (-2.98, 51.35),  # Weston-super-Mare
    (-2.70, 51.50),  # Avonmouth
    (-2.45, 51.72),  # Severn estuary
    (-2.68, 51.64),  # Chepstow
    (-2.97, 51.55),  # Newport
    (-3.17, 51.45),  # Cardiff
    (-3.70, 51.48),  # Porthcawl
    (-3.94, 51.61),  # Swansea
    (-4.32, 51.56),  # Worm's Head
    (-4.25, 51.68),  # Burry Port
    (-4.55, 51.74),  # Pendine
    (-4.70, 51.67),  # Tenby
    (-4.93, 51.60),  # St Govan's Head
    (-5.15, 51.70),  # Milford Haven
    (-5.31, 51.88),  # St David's Head
    (-4.98, 52.01),  # Fishguard
    (-4.67, 52.12),  # Cardigan
    (-4.36, 52.21),  # New Quay
    (-4.08, 52.41),  # Aberystwyth
    (-4.05, 52.54),  # Aberdyfi
    (-4.06, 52.72),  # Barmouth
    (-4.13, 52.91),  # Porthmadog
    (-4.41, 52.88),  # Pwllheli
    (-4.77, 52.79),  # Braich y Pwll
    (-4.53, 52.94),  # Nefyn
    (-4.28, 53.14),  # Caernarfon
    (-4.13, 53.23),  # Bangor
    (-3.86, 53.33),  # Great Orme
    (-3.49, 53.32),  # Rhyl
    (-3.32, 53.35),  # Point of Ayr
    (-3.13, 53.25),  # Dee estuary
    (-3.18, 53.38),  # West Kirby
    (-3.04, 53.44),  # New Brighton
    (-3.07, 53.56),  # Formby
    (-3.01, 53.65),  # Southport
    (-3.05, 53.82),  # Blackpool
    (-3.01, 53.93),  # Fleetwood
    (-2.87, 54.07),  # Morecambe
    (-2.83, 54.20),  # Arnside
    (-3.23, 54.10),  # Barrow-in-Furness
    (-3.27, 54.21),  # Millom
    (-3.41, 54.35),  # Ravenglass
    (-3.64, 54.51),  # St Bees Head
    (-3.56, 54.64),  # Workington
    (-3.39, 54.87),  # Silloth
    (-3.21, 54.95),  # Bowness-on-Solway
    (-3.60, 54.88),  # Southerness
    (-4.05, 54.80),  # Kirkcudbright
    (-4.39, 54.68),  # Burrow Head
    (-4.58, 54.76),  # Port William
    (-4.86, 54.64),  # Mull of Galloway
    (-5.12, 54.84),  # Portpatrick
    (-5.16, 55.01),  # Corsewall Point
    (-4.86, 55.24),  # Girvan
    (-4.63, 55.46),  # Ayr
    (-4.87, 55.80),  # Largs
    (-4.76, 55.95),  # Greenock
    (-5.42, 55.86),  # Tarbert
    (-5.60, 55.42),  # Campbeltown
    (-5.80, 55.30),  # Mull of Kintyre
    (-5.68, 55.75),  # west Kintyre
    (-5.65, 56.05),  # Knapdale
    (-5.47, 56.41),  # Oban
    (-6.22, 56.73),  # Ardnamurchan Point
    (-5.83, 57.00),  # Mallaig
    (-5.71, 57.28),  # Kyle of Lochalsh
    (-5.82, 57.43),  # Applecross
    (-5.71, 57.73),  # Gairloch
    (-5.81, 57.86),  # Rubha Reidh
    (-5.24, 58.15),  # Lochinver
    (-5.38, 58.26),  # Point of Stoer
    (-5.00, 58.63),  # Cape Wrath
    (-4.42, 58.52),  # Tongue
    (-3.52, 58.60),  # Thurso
    (-3.37, 58.67),  # Dunnet Head
    (-3.03, 58.64),  # Duncansby Head
    (-3.09, 58.44),  # Wick
    (-3.65, 58.12),  # Helmsdale
    (-4.03, 57.88),  # Dornoch
    (-3.77, 57.86),  # Tarbat Ness
    (-4.22, 57.50),  # Inverness
    (-3.87, 57.59),  # Nairn
    (-3.28, 57.72),  # Lossiemouth
    (-2.96, 57.68),  # Buckie
    (-2.00, 57.69),  # Fraserburgh
    (-1.78, 57.50),  # Peterhead
    (-2.08, 57.15),  # Aberdeen
    (-2.20, 56.96),  # Stonehaven
    (-2.47, 56.71),  # Montrose
    (-2.58, 56.56),  # Arbroath
    (-2.97, 56.46),  # Dundee
    (-2.58, 56.28),  # Fife Ness
    (-3.15, 56.11),  # Kirkcaldy
    (-3.40, 56.00),  # Queensferry
    (-3.17, 55.98),  # Leith
    (-2.72, 56.06),  # North Berwick
    (-2.52, 56.00),  # Dunbar
    (-2.13, 55.91),  # St Abb's Head
    (-2.00, 55.77),  # Berwick-upon-Tweed
    (-1.71, 55.61),  # Bamburgh
    (-1.58, 55.33),  # Amble
    (-1.50, 55.13),  # Blyth
    (-1.42, 55.02),  # Tynemouth
    (-1.36, 54.91),  # Sunderland
    (-1.18, 54.69),  # Hartlepool
    (-1.06, 54.62),  # Redcar
    (-0.61, 54.49),  # Whitby
    (-0.39, 54.28),  # Scarborough
    (-0.08, 54.12),  # Flamborough Head
    (-0.19, 54.08),  # Bridlington
    (-0.16, 53.91),  # Hornsea
    (0.11, 53.58),  # Spurn Head
    (-0.25, 53.72),  # Humber, Hull
    (-0.05, 53.57),  # Grimsby
    (0.26, 53.34),  # Mablethorpe
    (0.35, 53.14),  # Skegness
    (0.34, 53.10),  # Gibraltar Point
    (-0.01, 52.93),  # the Wash, Boston
    (0.19, 52.78),  # the Wash, Sutton Bridge
    (0.39, 52.78),  # King's Lynn
    (0.49, 52.94),  # Hunstanton
    (0.85, 52.96),  # Wells-next-the-Sea
    (1.30, 52.93),  # Cromer
    (1.69, 52.71),  # Winterton
    (1.73, 52.61),  # Great Yarmouth
    (1.75, 52.48),  # Lowestoft
    (1.68, 52.33),  # Southwold
    (1.60, 52.15),  # Aldeburgh
    (1.35, 51.96),  # Felixstowe
    (1.27, 51.85),  # Walton-on-the-Naze
    (1.15, 51.79),  # Clacton
    (0.95, 51.78),  # Mersea
    (0.83, 51.53),  # Shoeburyness
    (0.58, 51.52),  # Canvey Island
    (0.36, 51.46),  # Tilbury
    (0.72, 51.45),  # Isle of Grain
    (1.03, 51.36),  # Whitstable
    (1.45, 51.38),  # North Foreland
    (1.42, 51.33),  # Ramsgate
    (1.40, 51.22),  # Deal
)

ISLE_OF_WIGHT: Polygon = (
    (-1.58, 50.66),
    (-1.30, 50.77),
    (-1.07, 50.68),
    (-1.17, 50.60),
    (-1.30, 50.58),
    (-1.50, 50.63),
)

ANGLESEY: Polygon = (
    (-4.68, 53.31),
    (-4.57, 53.41),
    (-4.33, 53.43),
    (-4.04, 53.31),
    (-4.22, 53.18),
    (-4.40, 53.16),
)

ISLE_OF_MAN: Polygon = (
    (-4.78, 54.05),
    (-4.55, 54.07),
    (-4.37, 54.20),
    (-4.36, 54.40),
    (-4.60, 54.30),
    (-4.77, 54.17),
)

#: Ireland, coarser: it only frames the Irish Sea.
IRELAND: Polygon = (
    (-7.37, 55.38),  # Malin Head
    (-6.15, 55.22),  # Fair Head
    (-5.80, 54.70),  # Belfast Lough
    (-5.45, 54.45),  # Ards peninsula
    (-5.66, 54.22),  # St John's Point
    (-6.10, 54.00),  # Carlingford
    (-6.25, 53.72),  # Drogheda
    (-6.15, 53.35),  # Dublin
    (-6.00, 52.97),  # Wicklow Head
    (-6.36, 52.17),  # Carnsore Point
    (-7.10, 52.14),  # Waterford
    (-8.30, 51.80),  # Cork
    (-9.80, 51.45),  # Mizen Head
    (-10.40, 52.10),  # Dingle
    (-9.93, 52.56),  # Loop Head
    (-9.05, 53.20),  # Galway Bay
    (-10.20, 53.40),  # Slyne Head
    (-10.10, 53.95),  # Achill
    (-9.95, 54.25),  # Belmullet
    (-8.50, 54.30),  # Sligo
    (-8.30, 55.15),  # Bloody Foreland
)

#: Every polygon of the background, largest first.
OUTLINES: tuple[Polygon, ...] = (
    GREAT_BRITAIN,
    IRELAND,
    ISLE_OF_WIGHT,
    ANGLESEY,
    ISLE_OF_MAN,
)
