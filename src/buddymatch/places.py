"""Real towns and cities of England, for placing generated trusts.

The synthetic instances of :mod:`buddymatch.synth` and the bundled example
put their (fictional) trusts at these towns, so that travel times and the
neighbour/too-far rules behave as they do across the real NHS: dense in
London, the Midlands and the North West, sparse in Northumberland,
Lincolnshire and Cornwall.  The number of towns per NHS England region
roughly follows the region's population.

Coordinates are town centres in WGS84 degrees, to about 0.01 degree.
"""

from __future__ import annotations

from typing import NamedTuple


class Place(NamedTuple):
    """A town: name, WGS84 latitude and longitude, and NHS England region."""

    name: str
    lat: float
    lon: float
    region: str


#: The seven NHS England regions, north to south.
REGIONS: tuple[str, ...] = (
    "North East and Yorkshire",
    "North West",
    "Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)

_NEY = "North East and Yorkshire"
_NW = "North West"
_MID = "Midlands"
_EAST = "East of England"
_LON = "London"
_SE = "South East"
_SW = "South West"

#: Towns of England with the NHS England region they fall in (North
#: Cumbria is in the North East and Yorkshire region, as its ICB is).
PLACES: tuple[Place, ...] = (
    # North East and North Cumbria
    Place("Newcastle upon Tyne", 54.978, -1.618, _NEY),
    Place("Sunderland", 54.907, -1.384, _NEY),
    Place("Gateshead", 54.953, -1.603, _NEY),
    Place("South Shields", 54.999, -1.432, _NEY),
    Place("North Shields", 55.010, -1.449, _NEY),
    Place("Durham", 54.776, -1.573, _NEY),
    Place("Darlington", 54.524, -1.560, _NEY),
    Place("Middlesbrough", 54.574, -1.235, _NEY),
    Place("Stockton-on-Tees", 54.570, -1.329, _NEY),
    Place("Hartlepool", 54.686, -1.213, _NEY),
    Place("Hexham", 54.971, -2.102, _NEY),
    Place("Cramlington", 55.086, -1.585, _NEY),
    Place("Alnwick", 55.413, -1.707, _NEY),
    Place("Berwick-upon-Tweed", 55.770, -2.005, _NEY),
    Place("Carlisle", 54.893, -2.933, _NEY),
    Place("Whitehaven", 54.549, -3.586, _NEY),
    # Yorkshire and the Humber
    Place("Leeds", 53.800, -1.549, _NEY),
    Place("Bradford", 53.795, -1.759, _NEY),
    Place("Sheffield", 53.381, -1.470, _NEY),
    Place("Wakefield", 53.683, -1.498, _NEY),
    Place("Huddersfield", 53.646, -1.785, _NEY),
    Place("Halifax", 53.725, -1.866, _NEY),
    Place("York", 53.959, -1.082, _NEY),
    Place("Harrogate", 53.992, -1.542, _NEY),
    Place("Scarborough", 54.283, -0.400, _NEY),
    Place("Kingston upon Hull", 53.746, -0.337, _NEY),
    Place("Grimsby", 53.568, -0.080, _NEY),
    Place("Scunthorpe", 53.589, -0.654, _NEY),
    Place("Doncaster", 53.523, -1.129, _NEY),
    Place("Rotherham", 53.430, -1.357, _NEY),
    Place("Barnsley", 53.553, -1.480, _NEY),
    Place("Dewsbury", 53.691, -1.633, _NEY),
    Place("Keighley", 53.868, -1.906, _NEY),
    Place("Northallerton", 54.339, -1.434, _NEY),
    Place("Bridlington", 54.083, -0.192, _NEY),
    Place("Skipton", 53.962, -2.017, _NEY),
    # North West
    Place("Manchester", 53.481, -2.243, _NW),
    Place("Salford", 53.488, -2.290, _NW),
    Place("Stockport", 53.411, -2.158, _NW),
    Place("Oldham", 53.541, -2.111, _NW),
    Place("Rochdale", 53.610, -2.156, _NW),
    Place("Bury", 53.593, -2.297, _NW),
    Place("Bolton", 53.577, -2.428, _NW),
    Place("Wigan", 53.545, -2.633, _NW),
    Place("Ashton-under-Lyne", 53.488, -2.098, _NW),
    Place("Altrincham", 53.384, -2.353, _NW),
    Place("Wythenshawe", 53.381, -2.263, _NW),
    Place("Liverpool", 53.408, -2.992, _NW),
    Place("Birkenhead", 53.393, -3.015, _NW),
    Place("Southport", 53.646, -3.005, _NW),
    Place("St Helens", 53.454, -2.738, _NW),
    Place("Whiston", 53.416, -2.798, _NW),
    Place("Warrington", 53.390, -2.597, _NW),
    Place("Runcorn", 53.342, -2.731, _NW),
    Place("Chester", 53.193, -2.893, _NW),
    Place("Crewe", 53.098, -2.442, _NW),
    Place("Macclesfield", 53.259, -2.127, _NW),
    Place("Northwich", 53.259, -2.518, _NW),
    Place("Ormskirk", 53.567, -2.887, _NW),
    Place("Preston", 53.763, -2.703, _NW),
    Place("Chorley", 53.653, -2.633, _NW),
    Place("Blackpool", 53.818, -3.036, _NW),
    Place("Blackburn", 53.749, -2.488, _NW),
    Place("Accrington", 53.753, -2.364, _NW),
    Place("Burnley", 53.789, -2.241, _NW),
    Place("Lancaster", 54.047, -2.801, _NW),
    Place("Kendal", 54.328, -2.746, _NW),
    Place("Barrow-in-Furness", 54.111, -3.226, _NW),
    # Midlands: West Midlands
    Place("Birmingham", 52.486, -1.890, _MID),
    Place("Solihull", 52.412, -1.778, _MID),
    Place("Sutton Coldfield", 52.563, -1.823, _MID),
    Place("West Bromwich", 52.519, -1.995, _MID),
    Place("Wolverhampton", 52.586, -2.129, _MID),
    Place("Walsall", 52.586, -1.983, _MID),
    Place("Dudley", 52.512, -2.081, _MID),
    Place("Coventry", 52.407, -1.520, _MID),
    Place("Nuneaton", 52.523, -1.465, _MID),
    Place("Rugby", 52.371, -1.265, _MID),
    Place("Warwick", 52.282, -1.585, _MID),
    Place("Stratford-upon-Avon", 52.192, -1.707, _MID),
    Place("Redditch", 52.307, -1.949, _MID),
    Place("Worcester", 52.194, -2.222, _MID),
    Place("Kidderminster", 52.389, -2.250, _MID),
    Place("Hereford", 52.057, -2.716, _MID),
    Place("Ludlow", 52.368, -2.718, _MID),
    Place("Shrewsbury", 52.707, -2.755, _MID),
    Place("Telford", 52.678, -2.445, _MID),
    Place("Oswestry", 52.861, -3.054, _MID),
    Place("Stoke-on-Trent", 53.003, -2.179, _MID),
    Place("Stafford", 52.807, -2.117, _MID),
    Place("Burton upon Trent", 52.802, -1.637, _MID),
    Place("Lichfield", 52.682, -1.832, _MID),
    Place("Tamworth", 52.634, -1.691, _MID),
    Place("Cannock", 52.691, -2.030, _MID),
    # Midlands: East Midlands and Lincolnshire
    Place("Leicester", 52.637, -1.140, _MID),
    Place("Loughborough", 52.772, -1.206, _MID),
    Place("Nottingham", 52.955, -1.158, _MID),
    Place("Mansfield", 53.147, -1.199, _MID),
    Place("Newark-on-Trent", 53.077, -0.810, _MID),
    Place("Worksop", 53.301, -1.124, _MID),
    Place("Derby", 52.923, -1.475, _MID),
    Place("Chesterfield", 53.235, -1.421, _MID),
    Place("Buxton", 53.259, -1.911, _MID),
    Place("Lincoln", 53.231, -0.541, _MID),
    Place("Boston", 52.979, -0.027, _MID),
    Place("Grantham", 52.912, -0.643, _MID),
    Place("Skegness", 53.144, 0.336, _MID),
    Place("Louth", 53.367, -0.006, _MID),
    Place("Spalding", 52.787, -0.153, _MID),
    Place("Northampton", 52.241, -0.903, _MID),
    Place("Kettering", 52.397, -0.725, _MID),
    Place("Corby", 52.491, -0.697, _MID),
    # East of England
    Place("Cambridge", 52.205, 0.122, _EAST),
    Place("Peterborough", 52.570, -0.241, _EAST),
    Place("Huntingdon", 52.331, -0.183, _EAST),
    Place("Ely", 52.399, 0.262, _EAST),
    Place("Wisbech", 52.666, 0.159, _EAST),
    Place("Norwich", 52.631, 1.297, _EAST),
    Place("King's Lynn", 52.754, 0.398, _EAST),
    Place("Great Yarmouth", 52.608, 1.731, _EAST),
    Place("Cromer", 52.931, 1.302, _EAST),
    Place("Thetford", 52.413, 0.748, _EAST),
    Place("Ipswich", 52.057, 1.148, _EAST),
    Place("Bury St Edmunds", 52.246, 0.711, _EAST),
    Place("Lowestoft", 52.475, 1.750, _EAST),
    Place("Colchester", 51.896, 0.892, _EAST),
    Place("Clacton-on-Sea", 51.790, 1.156, _EAST),
    Place("Braintree", 51.878, 0.553, _EAST),
    Place("Chelmsford", 51.736, 0.469, _EAST),
    Place("Southend-on-Sea", 51.546, 0.708, _EAST),
    Place("Basildon", 51.576, 0.489, _EAST),
    Place("Harlow", 51.773, 0.102, _EAST),
    Place("Luton", 51.879, -0.420, _EAST),
    Place("Bedford", 52.136, -0.467, _EAST),
    Place("Milton Keynes", 52.041, -0.759, _EAST),
    Place("Stevenage", 51.904, -0.197, _EAST),
    Place("Welwyn Garden City", 51.801, -0.204, _EAST),
    Place("St Albans", 51.752, -0.336, _EAST),
    Place("Hemel Hempstead", 51.753, -0.469, _EAST),
    Place("Watford", 51.657, -0.390, _EAST),
    # London
    Place("Westminster", 51.498, -0.136, _LON),
    Place("City of London", 51.516, -0.092, _LON),
    Place("Paddington", 51.515, -0.176, _LON),
    Place("Camden Town", 51.539, -0.143, _LON),
    Place("Hampstead", 51.556, -0.178, _LON),
    Place("Islington", 51.536, -0.103, _LON),
    Place("Hackney", 51.545, -0.055, _LON),
    Place("Whitechapel", 51.520, -0.061, _LON),
    Place("Southwark", 51.501, -0.094, _LON),
    Place("Brixton", 51.461, -0.116, _LON),
    Place("Greenwich", 51.483, -0.008, _LON),
    Place("Lewisham", 51.462, -0.013, _LON),
    Place("Woolwich", 51.491, 0.063, _LON),
    Place("Bexleyheath", 51.455, 0.151, _LON),
    Place("Bromley", 51.406, 0.015, _LON),
    Place("Orpington", 51.375, 0.098, _LON),
    Place("Croydon", 51.376, -0.098, _LON),
    Place("Sutton", 51.362, -0.195, _LON),
    Place("Kingston upon Thames", 51.412, -0.301, _LON),
    Place("Tooting", 51.428, -0.168, _LON),
    Place("Wandsworth", 51.457, -0.191, _LON),
    Place("Kensington", 51.499, -0.194, _LON),
    Place("Hammersmith", 51.493, -0.224, _LON),
    Place("Richmond", 51.461, -0.304, _LON),
    Place("Hounslow", 51.467, -0.362, _LON),
    Place("Ealing", 51.513, -0.309, _LON),
    Place("Uxbridge", 51.546, -0.478, _LON),
    Place("Northwood", 51.611, -0.424, _LON),
    Place("Harrow", 51.581, -0.342, _LON),
    Place("Wembley", 51.559, -0.282, _LON),
    Place("Barnet", 51.653, -0.200, _LON),
    Place("Enfield", 51.652, -0.081, _LON),
    Place("Tottenham", 51.598, -0.068, _LON),
    Place("Walthamstow", 51.583, -0.020, _LON),
    Place("Stratford", 51.541, -0.004, _LON),
    Place("Ilford", 51.559, 0.074, _LON),
    Place("Barking", 51.536, 0.081, _LON),
    Place("Romford", 51.575, 0.183, _LON),
    # South East
    Place("Oxford", 51.752, -1.258, _SE),
    Place("Banbury", 52.063, -1.340, _SE),
    Place("Witney", 51.784, -1.487, _SE),
    Place("Aylesbury", 51.816, -0.808, _SE),
    Place("High Wycombe", 51.629, -0.748, _SE),
    Place("Reading", 51.454, -0.978, _SE),
    Place("Newbury", 51.401, -1.323, _SE),
    Place("Slough", 51.511, -0.595, _SE),
    Place("Frimley", 51.316, -0.742, _SE),
    Place("Woking", 51.319, -0.558, _SE),
    Place("Guildford", 51.236, -0.570, _SE),
    Place("Chertsey", 51.390, -0.503, _SE),
    Place("Epsom", 51.336, -0.267, _SE),
    Place("Redhill", 51.240, -0.170, _SE),
    Place("Crawley", 51.109, -0.187, _SE),
    Place("Haywards Heath", 50.999, -0.106, _SE),
    Place("Brighton", 50.823, -0.137, _SE),
    Place("Worthing", 50.818, -0.373, _SE),
    Place("Chichester", 50.838, -0.775, _SE),
    Place("Eastbourne", 50.768, 0.290, _SE),
    Place("Hastings", 50.854, 0.574, _SE),
    Place("Tunbridge Wells", 51.132, 0.264, _SE),
    Place("Maidstone", 51.272, 0.529, _SE),
    Place("Dartford", 51.444, 0.218, _SE),
    Place("Gillingham", 51.387, 0.545, _SE),
    Place("Canterbury", 51.280, 1.079, _SE),
    Place("Margate", 51.381, 1.386, _SE),
    Place("Ashford", 51.146, 0.875, _SE),
    Place("Folkestone", 51.081, 1.170, _SE),
    Place("Dover", 51.128, 1.313, _SE),
    Place("Southampton", 50.910, -1.404, _SE),
    Place("Portsmouth", 50.820, -1.088, _SE),
    Place("Winchester", 51.063, -1.308, _SE),
    Place("Basingstoke", 51.267, -1.092, _SE),
    Place("Andover", 51.211, -1.492, _SE),
    # Newport, named by its island: trusts there serve the whole island.
    Place("Isle of Wight", 50.701, -1.292, _SE),
    # South West
    Place("Bristol", 51.455, -2.588, _SW),
    Place("Bath", 51.381, -2.359, _SW),
    Place("Weston-super-Mare", 51.346, -2.977, _SW),
    Place("Gloucester", 51.864, -2.238, _SW),
    Place("Cheltenham", 51.899, -2.078, _SW),
    Place("Stroud", 51.746, -2.218, _SW),
    Place("Swindon", 51.556, -1.780, _SW),
    Place("Chippenham", 51.459, -2.116, _SW),
    Place("Trowbridge", 51.319, -2.208, _SW),
    Place("Salisbury", 51.069, -1.795, _SW),
    Place("Taunton", 51.015, -3.103, _SW),
    Place("Yeovil", 50.942, -2.634, _SW),
    Place("Dorchester", 50.715, -2.437, _SW),
    Place("Weymouth", 50.614, -2.458, _SW),
    Place("Poole", 50.715, -1.987, _SW),
    Place("Bournemouth", 50.719, -1.881, _SW),
    Place("Exeter", 50.718, -3.534, _SW),
    Place("Torquay", 50.462, -3.525, _SW),
    Place("Plymouth", 50.376, -4.143, _SW),
    Place("Barnstaple", 51.081, -4.058, _SW),
    Place("Bodmin", 50.472, -4.724, _SW),
    Place("Truro", 50.263, -5.051, _SW),
    Place("Penzance", 50.119, -5.538, _SW),
)

#: Towns with a medical school or a major university teaching hospital:
#: where teaching and specialist trusts are placed.
TEACHING_TOWNS: frozenset[str] = frozenset(
    {
        # North East and Yorkshire
        "Newcastle upon Tyne", "Sunderland", "Middlesbrough", "Leeds",
        "Sheffield", "York", "Kingston upon Hull", "Bradford",
        # North West
        "Manchester", "Salford", "Wythenshawe", "Liverpool", "Preston",
        "Lancaster",
        # Midlands
        "Birmingham", "Coventry", "Wolverhampton", "Stoke-on-Trent",
        "Leicester", "Nottingham", "Derby", "Lincoln",
        # East of England
        "Cambridge", "Norwich", "Chelmsford",
        # London
        "Westminster", "Paddington", "Whitechapel", "Southwark", "Brixton",
        "Tooting", "Camden Town", "Hampstead", "Hammersmith",
        # South East
        "Oxford", "Southampton", "Brighton", "Portsmouth", "Canterbury",
        "Guildford",
        # South West
        "Bristol", "Bath", "Exeter", "Plymouth", "Truro",
    }
)
