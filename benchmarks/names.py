"""Made-up people and places for the benchmark dataset (no real person is described)."""

MEN = (
    "Aaron Adam Adrian Ahmed Aidan Alan Alex Ali Andrew Anthony Arron Ashley Barry Ben Billy "
    "Bradley Brandon Brian Callum Calvin Carl Chris Ciaran Colin Connor Craig Dale Damian Daniel "
    "Danny Darren Dean Declan Dennis Derek Dominic Donovan Dwayne Dylan Eddie Elliot Emmanuel "
    "Eric Gareth Gary Gavin Glen Graham Grant Harry Hassan Ian Imran Isaac Jack Jake Jamal James "
    "Jamie Jason Jay Jermaine Jerome Joe Joel John Jonathan Jordan Joseph Josh Karl Keith Kelvin "
    "Kevin Kieran Kofi Kyle Lee Leon Lewis Liam Lloyd Luke Marcus Mark Martin Mason Matthew "
    "Michael Mohammed Nathan Neil Nicholas Niall Noel Oliver Omar Owen Patrick Paul Peter Phil "
    "Reece Richard Rick Robert Ross Ryan Sam Scott Sean Shane Simon Stephen Steven Stuart Terry "
    "Thomas Tony Tyler Usman Wayne Warren Wesley Zak"
).split()

WOMEN = (
    "Aisha Alison Amanda Amy Angela Beverley Carol Caroline Charlotte Claire Danielle Dawn Debbie "
    "Donna Elaine Emma Fatima Fiona Gemma Hannah Helen Jackie Jade Janet Jennifer Joanne Julie "
    "Karen Kate Kelly Kerry Laura Leanne Linda Lisa Louise Lucy Maria Maureen Michelle Nadia "
    "Natalie Nicola Paula Priya Rachel Rebecca Sadia Samantha Sandra Sarah Sharon Sophie Stacey "
    "Susan Tracey Vicky Yvonne Zoe"
).split()

FAMILY = (
    "Abbott Adams Ahmed Ali Allen Anderson Armstrong Ashworth Atkinson Bailey Baker Ball Banks "
    "Barker Barnes Barton Bates Baxter Bell Bennett Birch Bishop Black Blackwood Booth Bowen "
    "Boyle Bradley Brennan Briggs Brooks Brown Burke Burns Butler Byrne Campbell Carr Carroll "
    "Carter Chapman Clarke Coleman Collins Connolly Cooper Cox Crawford Cross Cunningham Dalton "
    "Daly Davies Dawson Dixon Doherty Donnelly Doyle Duffy Dunn Edwards Ellis Evans Farrell "
    "Fairclough Fisher Fleming Fletcher Forbes Foster Fox Francis Gallagher Gibson Gill Gordon "
    "Graham Grant Gray Green Griffiths Hall Hamilton Harris Harrison Hart Hayes Hill Holmes "
    "Hope Howard Hughes Hunt Hussain Jackson James Jenkins Johnson Johnston Jones Kaur Kelly "
    "Kennedy Khan King Knight Lawson Lee Lewis Lloyd Lomax Lynch Marsh Marshall Martin Mason "
    "McBride McCann McDonald McGuire Miller Mills Mitchell Moore Morgan Morris Murphy Murray "
    "Nolan Obi Okafor Okoro Osei Owen Palmer Parker Patel Pearson Phillips Pierce Powell Price "
    "Quinn Reid Reynolds Richards Riley Roberts Robinson Rogers Ross Russell Ryan Saunders Scott "
    "Shah Sharp Shaw Simpson Smith Stevens Stewart Sullivan Taylor Thomas Thompson Tierney Turner "
    "Walker Walsh Ward Watson Webb Wells White Whitfield Williams Wilson Wood Wright Young"
).split()

PREFERRED = {
    "Anthony": "Tony",
    "Christopher": "Chris",
    "Daniel": "Danny",
    "Darren": "Daz",
    "James": "Jim",
    "Jamal": "Jay",
    "Joseph": "Joe",
    "Michael": "Mick",
    "Richard": "Rich",
    "Robert": "Rob",
    "Stephen": "Steve",
    "Thomas": "Tom",
    "William": "Billy",
}

PRISONS = (
    "HMP Liverpool", "HMP Altcourse", "HMP Risley", "HMP Manchester", "HMP Forest Bank",
    "HMP Durham", "HMP Frankland", "HMP Northumberland", "HMP Holme House", "HMP Full Sutton",
    "HMP Wakefield", "HMP Leeds", "HMP Hull", "HMP Lincoln", "HMP Nottingham", "HMP Birmingham",
    "HMP Long Lartin", "HMP Garth", "HMP Whitemoor", "HMP Pentonville", "HMP Wandsworth",
    "HMP Belmarsh", "HMP Bristol", "HMP Exeter", "HMP Cardiff", "HMP Swansea", "HMP Lewes",
    "HMP Winchester", "HMP Isle of Wight", "HMP Woodhill",
)  # fmt: skip

# (service name stem, region). The focus service is named separately.
SERVICE_STEMS = (
    ("Rebuilding Lives", "Northumbria"), ("Pathways", "Greater Manchester"),
    ("New Leaf", "West Midlands"), ("Resettle", "Lancashire"), ("Bridges", "West Yorkshire"),
    ("Way Forward", "South Yorkshire"), ("Stepping Stones", "Humberside"),
    ("Horizons", "Nottinghamshire"), ("Fresh Start", "Leicestershire"), ("Anchor", "Avon and Somerset"),
    ("Compass", "Devon and Cornwall"), ("Threshold", "Kent"), ("Open Door", "Sussex"),
    ("Turning Point", "Thames Valley"), ("Foothold", "Hertfordshire"), ("Keystone", "Essex"),
    ("Landing", "London North"), ("Crossings", "London South"), ("Harbour", "South Wales"),
    ("Lifeline", "North Wales"), ("Onward", "Cumbria"), ("Beacon", "Durham Tees Valley"),
    ("Pathfinder", "Derbyshire"), ("Ladder", "Staffordshire"), ("Second Chance", "Norfolk"),
)  # fmt: skip

REGIONS = {
    "Merseyside": "North West", "Northumbria": "North East", "Greater Manchester": "North West",
    "West Midlands": "Midlands", "Lancashire": "North West", "West Yorkshire": "Yorkshire",
    "South Yorkshire": "Yorkshire", "Humberside": "Yorkshire", "Nottinghamshire": "Midlands",
    "Leicestershire": "Midlands", "Avon and Somerset": "South West", "Devon and Cornwall": "South West",
    "Kent": "South East", "Sussex": "South East", "Thames Valley": "South East",
    "Hertfordshire": "East of England", "Essex": "East of England", "London North": "London",
    "London South": "London", "South Wales": "Wales", "North Wales": "Wales", "Cumbria": "North West",
    "Durham Tees Valley": "North East", "Derbyshire": "Midlands", "Staffordshire": "Midlands",
    "Norfolk": "East of England",
}  # fmt: skip

STREETS = (
    "Canning Street", "Princes Road", "Mill Lane", "Church Road", "Victoria Street", "Park Road",
    "Station Road", "Queens Drive", "High Street", "Granby Street", "Lodge Lane", "Oxford Road",
    "Bath Street", "Marsh Lane", "Chapel Street", "Albert Road", "Grove Street", "Elm Avenue",
)  # fmt: skip

GP_PRACTICES = (
    "Princes Park Health Centre", "Riverside Medical Centre", "Brookside Surgery",
    "The Grove Practice", "Central Health Centre", "Parkview Surgery", "Millbrook Practice",
    "Abbey Medical Centre", "Hillside Surgery", "Townsend Medical Practice",
)  # fmt: skip

GOALS = (
    "Get my own flat and keep it",
    "See my daughter again, properly, not through a screen",
    "Stay off the gear and get a job",
    "Learn to cook proper meals",
    "Get through my licence without going back",
    "Sort my debts out",
    "Go to college and do my maths",
    "Stop losing my temper with people who wind me up",
    "Get my driving licence back",
    "Make it up with my mum",
    "Keep a job for more than three months",
    "Sleep properly and stop the nightmares",
)

ISSUES = {
    "self_harm": "Low and talking about ending it",
    "harm_to_others": "Angry, says he will sort someone out",
    "substances": "Been drinking, wants to talk",
    "accommodation": "Trouble at the hostel, may be thrown out",
    "relationship": "Split with his partner tonight",
    "licence": "Worried he has broken his curfew",
    "mental_health": "Hearing voices again, frightened",
    "other": "Can't sleep, wanted someone to talk to",
}

NOTE_SUMMARIES = (
    "Engaged well; talked about the week ahead",
    "Quiet in group; spoke afterwards about his family",
    "Worked on managing anger when he feels disrespected",
    "Reviewed his budget and a letter from the council",
    "Planned what to say at his housing appointment",
    "Low mood; agreed to see his GP",
    "Talked about his triggers for drinking",
    "Good session; proud of getting to the gym",
    "Went over his licence conditions again",
    "Prepared for the three-way meeting",
    "Practised the exits from the pattern in his formulation",
    "Arrived late and unsettled; calmer by the end",
)

NARRATIVES = (
    "He arrived on time and stayed for the whole session. We went back over the week and he "
    "named two moments when he noticed the old pattern starting. Agreed to try calling before "
    "things build up.",
    "Said he had not been sleeping and had argued with his neighbour. He used the grounding "
    "exercise in the session. We agreed to review this on Thursday.",
    "Talked about his relationship with his brother and how contact has gone. He was open "
    "and reflective. No new risk information.",
    "Practical session: benefits letter, bus pass and the dentist. He took the lead on "
    "making the calls himself.",
)

RISK_CONCERNS = (
    "Mentions wanting to see his ex-partner despite the non-contact condition",
    "Says he has been drinking most nights since the weekend",
    "Talked about getting 'sorted out' by people he owes money to",
    "Seemed paranoid and spoke of carrying something for protection",
)

ADDENDA = (
    "Spoke to his offender manager the next morning; she is aware.",
    "Correction: the appointment is on the 14th, not the 4th.",
    "GP confirmed the medication review is booked.",
    "Housing officer called back: the flat viewing is going ahead.",
)
