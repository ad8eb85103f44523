"""Static vocabularies the synthetic account draws from (names, places, browsers, campaign wording).

Kept apart from the generator so the generator reads as a model of behaviour, not a list of strings.
Domains use the reserved `.example` TLD; IP addresses are synthetic.
"""

from __future__ import annotations

from typing import Final

ACCOUNT_SUBDOMAIN: Final = "northpeak"
SITE: Final = "www.northpeak.example"

FACEBOOK: Final = "facebook"
YOUTUBE: Final = "youtube"
OTHER: Final = "other"

FACEBOOK_PROJECT_PREFIXES: Final = ("FB - ", "Facebook Ads - ")
YOUTUBE_PROJECT_PREFIXES: Final = ("YouTube Ads - ", "YT - ")
CAMPAIGNS: Final = (
    "Spring Promo",
    "Launch",
    "Retargeting Q2",
    "Black Friday",
    "Summer Sale",
    "Holiday Gift Guide",
    "Back to School",
    "Lead Gen",
    "Testimonials",
    "Brand Awareness",
    "New Year Kickoff",
    "Cyber Monday",
    "Free Trial Push",
    "Webinar Funnel",
    "Trail Series",
    "Q4 Pipeline",
)
OTHER_PROJECTS: Final = (
    "Webinars",
    "Internal - Onboarding",
    "Product Demos",
    "Help Center",
    "Sales Enablement",
    "Customer Stories",
    "Podcast",
    "Brand Assets",
    "Events & Conferences",
    "Internal - All Hands",
)
PROJECT_DESCRIPTIONS: Final = (
    None,
    "",
    "<p>Paid campaign creatives and cutdowns.</p>\n",
    "Get started by adding a video to your project - you can always delete it later!",
)

FACEBOOK_MEDIA_TEMPLATES: Final = (
    "{campaign} - {length}s Cut v{version} (FB Feed)",
    "{campaign} - Reels Vertical {length}s",
    "vsl short vid with long testimonials FB {m}-{d}-{y}",
    "{campaign} UGC Testimonial #{version} FB",
    "{campaign} - Stories Ad {length}s",
)
YOUTUBE_MEDIA_TEMPLATES: Final = (
    "{campaign} - YouTube Preroll {length}s",
    "{campaign} - Bumper 6s v{version}",
    "Sample VSL Youtube Paid Ads {m}-{d}-{y}",
    "{campaign} Explainer - YT {length}s",
)
OTHER_MEDIA_TEMPLATES: Final = (
    "{project} - Session {version}",
    "{project}: Getting Started",
    "{project} Recording {m}-{d}-{y}",
    "How it works - {project} part {version}",
)
AUDIO_TEMPLATES: Final = ("Podcast Ep. {version} - {campaign}", "{campaign} Radio Spot {length}s")
IMAGE_TEMPLATES: Final = ("{campaign} Thumbnail v{version}", "{campaign} Banner {length}0x{length}")
RENAME_SUFFIXES: Final = (" (final)", " v2", " - FINAL", " (approved)", " - edited", " copy")
SECTIONS: Final = ("Ads", "Cutdowns", "Organic", "Sample Section")
CHANNEL_TAGS: Final = {
    FACEBOOK: ("facebook", "paid-social"),
    YOUTUBE: ("youtube", "pre-roll"),
    OTHER: ("internal",),
}

FIRST_NAMES: Final = (
    "Jim", "Ana", "Priya", "Lucas", "Mei", "Omar", "Sofia", "Jack", "Chloe", "Diego",
    "Hannah", "Kenji", "Fatima", "Noah", "Elena", "Tom", "Aisha", "Ben", "Zoe", "Ravi",
)  # fmt: skip
LAST_NAMES: Final = (
    "Doe", "Silva", "Patel", "Martin", "Chen", "Haddad", "Rossi", "Vincent", "Dubois", "Lopez",
    "Schmidt", "Tanaka", "Khan", "Smith", "Petrova", "Brown", "Okafor", "Miller", "Novak", "Iyer",
)  # fmt: skip
ORGS: Final = ("Jim's Lemonade", "Trailhead Co", "Summit Gear", "Blue Fjord Ltd", "Oakline Media")
TITLES: Final = ("Expert lemon squeezer", "Marketing Manager", "Founder", "Head of Growth", "Buyer")
EMAIL_DOMAINS: Final = ("example.com", "mail.example", "corp.example")

# (country, region, city, lat, lon, org, weight)
GEO: Final = (
    ("US", "WA", "Seattle", 47.6103, -122.334, "Comcast Cable", 8),
    ("US", "New York", "New York", 40.7128, -74.006, "Verizon Fios", 10),
    ("US", "California", "Los Angeles", 34.0522, -118.2437, "Charter Communications", 10),
    ("US", "Texas", "Austin", 30.2672, -97.7431, "AT&T Services", 7),
    ("US", "Florida", "Miami", 25.7617, -80.1918, "T-Mobile USA", 7),
    ("US", "Illinois", "Chicago", 41.8781, -87.6298, "Comcast Cable", 6),
    ("GB", "England", "London", 51.5074, -0.1278, "British Telecommunications", 6),
    ("CA", "Ontario", "Toronto", 43.6532, -79.3832, "Rogers Communications", 5),
    ("DE", "Berlin", "Berlin", 52.52, 13.405, "Deutsche Telekom AG", 4),
    ("FR", "Ile-de-France", "Paris", 48.8566, 2.3522, "Orange S.A.", 3),
    ("BR", "Sao Paulo", "Sao Paulo", -23.5505, -46.6333, "Telefonica Brasil", 4),
    ("IN", "Maharashtra", "Mumbai", 19.076, 72.8777, "Reliance Jio", 4),
    ("AU", "New South Wales", "Sydney", -33.8688, 151.2093, "Telstra", 3),
    ("TR", "34", "Istanbul", 41.0186, 28.9647, "Turk Telekom", 2),
    ("AR", "07", "Buenos Aires", -34.5875, -58.6725, "CABLEVISION S.A.", 2),
    ("MX", "CDMX", "Mexico City", 19.4326, -99.1332, "Telmex", 3),
    ("JP", "Tokyo", "Tokyo", 35.6762, 139.6503, "NTT Communications", 2),
    ("NL", "North Holland", "Amsterdam", 52.3676, 4.9041, "KPN B.V.", 2),
)

# (browser, browser_version, platform, mobile, weight)
USER_AGENTS: Final = (
    ("Chrome", "141", "Windows", False, 20),
    ("Chrome", "141", "mac", False, 10),
    ("Safari", "18", "mac", False, 6),
    ("Safari", "18", "iOS (iPhone)", True, 14),
    ("Unknown Browser", "0", "iOS (iPhone)", True, 10),
    ("Chrome", "141", "Android", True, 14),
    ("Firefox", "128", "Windows", False, 5),
    ("Edge", "140", "Windows", False, 6),
    ("Samsung Internet", "27", "Android", True, 4),
    ("Safari", "17", "iOS (iPad)", True, 3),
)

WEEKDAY_FACTORS: Final = (1.1, 1.15, 1.1, 1.05, 0.95, 0.72, 0.68)
"""Traffic by weekday (Monday first)."""
HOUR_WEIGHTS: Final = (
    2, 1.5, 1, 1, 1, 1.2, 1.8, 2.5, 3.5, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 7.5, 7, 6.5, 6, 5.5, 5, 4, 3
)  # fmt: skip
"""Traffic by UTC hour (the audience is mostly in the Americas)."""
