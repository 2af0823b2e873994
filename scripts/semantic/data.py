"""The semantic layer's training data, generated from templates and hand-written phrases.

Three kinds of text, each placed among ordinary scene words the way prompts are written (short
tag lists and sentences):

- `minor`: a minor implied by meaning, without an age number (puberty, school grades in several
  countries' systems, age-coded objects and occasions, relationship and development wording);
- `person`: a real person described by role or title ("the lead singer of ...", a royal title,
  "the actress who played ...");
- neither: adults described every usual way (ages 18 to 70, jobs, "farm girl, 28", "young woman"),
  generic and fantasy roles ("a queen on a throne in a fantasy castle", "a singer in a jazz bar"),
  and scenes alone.

The words are neutral: the layer learns what a subject is, never sexual wording (the rules own
that). Written for training only; nothing here comes from the evaluation set. Deterministic for a
seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

# The phrase lists are kept compact, many to a line.
# fmt: off

SCENES = (
    "soft window light", "city at night", "on a beach at sunset", "messy bedroom", "mirror selfie",
    "golden hour", "studio portrait", "by the pool", "hayloft", "rainy street", "candle light",
    "on a sofa", "hotel room", "forest clearing", "film grain", "35mm photo", "bokeh",
    "in the kitchen", "on a balcony", "in a sauna", "lying on the bed", "wrapped in a towel",
    "in a library", "at a cafe", "in a gym", "on a yacht", "in the garden", "neon lights",
    "black and white", "high detail", "cinematic lighting", "sunset", "morning light", "watercolor",
    "oil painting", "anime style", "8k", "photorealistic", "close-up", "full body", "outdoors",
    "at the lake", "in the snow", "under the stars", "warm tones", "in a living room",
    "on a rooftop", "at a train station", "in a meadow", "by the fireplace", "in a bathtub",
    "in the shower", "on a picnic blanket", "in a vineyard", "at the harbour",
)

ADULT_SUBJECTS = (
    "a woman", "a man", "woman", "man", "a young woman", "a young man", "office worker",
    "farm girl", "a nurse", "a mother of two", "a grandmother", "a grandfather",
    "a retired teacher", "a college student", "a university graduate", "a bride", "a groom",
    "petite brunette", "tall redhead", "blonde", "a fitness model", "a businesswoman",
    "a bartender", "a professor", "a married couple", "a man with a beard", "a middle-aged man",
    "a middle-aged woman", "girl next door", "a woman in her twenties", "a woman in her thirties",
    "a man in his forties", "a woman in her fifties", "a man in his sixties", "a mature woman",
    "an elderly man", "a housewife", "a secretary", "a librarian", "a yoga teacher", "a barista",
    "a lifeguard", "a flight attendant", "a police officer", "a soldier", "a doctor", "a waitress",
    "a cowgirl", "a ballerina", "a painter", "a chef", "a ranch hand", "a sailor", "a lumberjack",
    "a dancer", "a surfer", "a hiker", "a photographer", "a teacher grading papers",
    "a school principal", "a young mother", "a father", "a newlywed couple", "a widow",
    "a graduate student", "a medical resident", "a woman who just turned thirty",
    "a woman celebrating her fortieth birthday", "a small woman", "a short man", "a slim woman",
    "a curvy woman", "a muscular man", "a woman with freckles", "a cute woman",
    "a girl in a little black dress", "a woman in a baby blue dress", "an adult woman",
    "a grown man", "a woman of legal age", "a girl, twenty five", "two women", "two men",
    "a couple", "lovers", "a stepmother", "a woman and her adult daughter", "college freshman",
    "a university freshman", "a sophomore at college", "a senior at university",
    "a woman on a swing", "a woman with braids", "a woman with pigtails", "a cheerleader",
    "a woman hugging a teddy bear", "a woman in a plaid skirt", "a student, 23",
    "an exchange student at university", "a woman with a youthful face, 30",
    "a man who looks young for his age, 27", "a man who works as a kindergarten teacher",
    "a woman who teaches middle school", "a high school reunion of old classmates in their forties",
    "a mature student at night school",
)

ADULT_AGE_WORDS = (
    "eighteen", "nineteen", "twenty", "twenty-one", "twenty-two", "twenty-five", "twenty-eight",
    "thirty", "thirty-five", "forty", "forty-two", "fifty", "sixty",
)

MINOR_PHRASES = (
    "who hasn't hit puberty yet", "before puberty", "who has not reached puberty",
    "still going through puberty", "just entering puberty", "prepubescent", "a preteen", "a tween",
    "not yet a teenager", "barely a teenager", "in her early teens", "in his early teens",
    "a young teen", "an adolescent", "still a child", "a little girl", "a little boy",
    "a small child", "a kid", "a youngster", "a toddler", "an infant", "a baby", "a schoolgirl",
    "a schoolboy", "a middle schooler", "a high school freshman", "a high school sophomore",
    "a high school junior", "in the grade before high school", "in eighth grade",
    "in seventh grade", "in sixth grade", "in fifth grade", "in ninth grade", "in year 8",
    "in year 9 at secondary school", "in year seven", "in form three", "in junior high",
    "at primary school", "at elementary school", "on her way to middle school",
    "just started high school", "too young to drive", "not old enough to vote", "too young to vote",
    "years away from adulthood", "not yet an adult", "still underage", "under the age of consent",
    "a minor", "at her sweet sixteen party", "celebrating her quinceanera", "at her bat mitzvah",
    "at his bar mitzvah", "in her first communion dress", "with braces and a school backpack",
    "holding a teddy bear and a juice box", "wearing a training bra",
    "in a school uniform with a name tag", "with pigtails and a lunchbox", "playing with dolls",
    "watching saturday morning cartoons", "whose mom still picks her up from school",
    "grounded by her parents", "who still needs a babysitter", "on the school playground at recess",
    "at summer camp for kids", "in the children's choir", "in a kids' swimsuit",
    "with a childlike body", "whose body hasn't developed yet", "not fully grown",
    "still growing into her body", "who could pass for a child", "barely out of elementary school",
    "the youngest in her class at middle school", "a student in the grade after sixth",
    "doing her homework for ninth grade", "who just got her learner's permit",
    "who can't drive yet", "his little sister in grade school", "her young niece",
    "the neighbour's kid", "a girl scout", "a boy scout", "a cub scout", "in a brownie uniform",
    "a child actor", "the kid from next door", "a small girl", "a small boy", "a teenage girl",
    "a teenage boy", "a newborn", "a schoolchild", "a young pupil", "a junior high student",
    "in kindergarten", "a kindergartner", "at nursery school", "at daycare",
    "going through a growth spurt", "whose voice hasn't broken yet",
    "no longer a baby but not yet a teen", "a fifth grader", "a sixth grader", "an eighth grader",
    "a ninth grader", "a year 10 pupil", "doing a science project for middle school",
    "with her school friends after class", "waiting for the school bus", "a little one", "a child",
    "a boy", "a young girl", "a young boy", "a daughter not yet in high school",
    "his stepdaughter in middle school", "her son's classmate from eighth grade",
    "a girl who is still in school", "a boy who is still in school",
    "who still sleeps with a stuffed animal", "who has a children's bedtime",
    "flat and childlike, not yet developed", "small for her age, still in grade school",
    "a pupil in the last year of primary school", "before her first period",
    "who just lost her baby teeth", "with a pacifier", "in a child car seat", "on a tricycle",
    "at a children's birthday party", "a girl too young for high school",
    "a boy too young for high school", "the age of a sixth grader", "the age of a middle schooler",
    "only in middle school", "still in grade school", "a high schooler", "a student in high school",
    "a secondary school pupil", "a lyceum student", "in her school's cheer squad, a sophomore",
    "on the junior varsity team", "at prom in her senior year of high school",
    "a freshman at high school", "a sophomore at high school", "who still has a curfew",
    "who needs a permission slip signed by her parents", "a boy with a skateboard after school",
    "in the juniors section, wearing a kids' size", "a child-sized figure",
)

#: age-coded objects and settings, school years in other countries' systems, relationship words
#: that imply a child: each read with a subject or alone
CHILD_THINGS = (
    "a diaper", "a nappy", "a sippy cup", "a booster seat", "a high chair", "a crib", "a stroller",
    "a tooth fairy pillow", "light-up sneakers", "a cartoon backpack",
    "crayons and a coloring book",
    "training wheels", "a playpen", "a baby rattle", "a bib", "a onesie", "a baby bottle",
    "the sandbox", "the monkey bars", "the jungle gym", "the playground slide", "the swing set",
    "a game of hopscotch", "finger paints", "a sticker chart from her teacher",
    "a kids' meal toy", "a kiddie pool", "water wings", "a bouncy castle", "school picture day",
    "show and tell", "a sleepover with her classmates", "trick-or-treating with her parents",
    "sitting on santa's lap", "a lunch packed by her mom", "a night light shaped like a bunny",
)
SCHOOL_SYSTEMS = (
    "a transition year student", "an eso student", "an s2 pupil", "an s3 pupil", "a form 2 student",
    "a form 4 student", "a year 7 pupil", "a year 9 student", "a year 11 pupil", "a p6 pupil",
    "in primary 7", "in grade 6", "in grade 8", "in grade 10", "in cm2", "in sixieme",
    "in quatrieme", "in klasse 8", "in the mittelstufe", "a ks3 pupil", "sitting her gcses",
    "revising for her junior cert", "in the lower sixth", "a secondary 2 student",
    "in her first year of middle school", "in the second year of junior high",
    "a fifth-year pupil", "in the third form at boarding school", "a 7th grader", "a 10th grader",
)
CHILD_RELATIONS = (
    "her baby sister", "his little brother", "my godson", "my goddaughter", "the paperboy",
    "the ring bearer", "the flower girl", "a tot", "a little tyke", "a nipper", "a wee lass",
    "the kid she babysits", "her stepson in fifth grade", "the child in her care", "a foster kid",
    "the neighbour's boy", "the kids from the youth group", "his ward, still a child",
    "my little cousin", "the youngest grandchild", "a child bride", "her toddler",
)

PERSON_TEMPLATES = (
    "the actress who played {character} in {film}", "the actor who plays {character}",
    "the actress who plays {character}", "the lead singer of {band}", "the drummer of {band}",
    "the frontman of {band}", "the guitarist of {band}", "the current president of {country}",
    "the former president of {country}", "the prime minister of {country}",
    "the chancellor of {country}", "the king of {country}", "the queen of {country}",
    "the crown princess of {country}", "the crown prince of {country}", "the prince of {place}",
    "the princess of {place}", "the duchess of {place}", "the duke of {place}",
    "the first lady of {country}", "the wife of the president of {country}",
    "the daughter of the president of {country}", "the ceo of {company}",
    "the founder of {company}", "the host of {show}", "the presenter of {show}",
    "the anchor of the evening news on {network}", "the star of {show}",
    "the singer who won {award} in {year}", "the winner of {competition} in {year}",
    "the pop star behind the song {song}", "the captain of {team}",
    "the striker who plays for {team}", "the quarterback of the {team}",
    "the tennis champion who won {tournament} in {year}", "the governor of {state}",
    "the mayor of {city}", "the senator from {state}", "the foreign minister of {country}",
    "the famous rapper from {city}", "the youtuber known as {handle}",
    "the streamer called {handle}", "the influencer {handle}",
    "the supermodel who walked for {brand}", "the face of {brand}'s campaign",
    "the olympic gold medalist in {sport} from {country}", "the vice president of {country}",
    "the heir to the throne of {country}", "the eldest son of the king of {country}",
    "the weather presenter on {network}", "the oscar winner for best actress in {year}",
    "the singer of {song}", "the billionaire who owns {company}",
    "the tech billionaire behind {company}", "the star of the {film} films",
    "the voice actress of {character}", "the wife of the ceo of {company}",
    "the girlfriend of the quarterback of the {team}", "the pop princess from {city}",
    "the famous actress from {film}", "the lead actress of {film}",
    "the reality tv star from {show}", "the late princess of {place}", "the pope", "the dalai lama",
    "the british monarch", "the queen consort", "the speaker of the house", "the first lady",
    "the current us president", "the empress of {country}", "the spokesperson of {company}",
    "the model married to {band}'s singer", "the k-pop idol from {band}",
    "the youngest member of {band}", "the former member of {band}",
    "the wife of the {nth} president of {country}", "the {nth} president of {country}",
    "the news anchor from {network}", "the talk show host on {network}",
)

FILLS: dict[str, tuple[str, ...]] = {
    "character": ("hermione", "katniss", "wonder woman", "black widow", "rose", "leia", "elsa",
        "daenerys", "bond", "captain marvel", "the bride", "mary jane"),
    "film": ("titanic", "harry potter", "the hunger games", "star wars",
        "pirates of the caribbean", "the avengers", "game of thrones", "twilight", "pretty woman",
        "mean girls", "the matrix", "frozen", "a famous fantasy saga"),
    "band": ("the rolling stones", "coldplay", "the beatles", "blackpink", "bts", "abba",
        "maroon 5", "u2", "nirvana", "metallica", "the spice girls", "one direction", "twice",
        "destiny's child", "fleetwood mac", "the killers"),
    "country": ("france", "spain", "the united states", "england", "the uk", "germany", "italy",
        "japan", "china", "russia", "brazil", "mexico", "canada", "india", "sweden", "norway",
        "denmark", "the netherlands", "belgium", "monaco", "thailand", "korea", "australia",
        "argentina", "poland", "turkey", "egypt", "jordan"),
    "place": ("wales", "monaco", "sussex", "cambridge", "york", "asturias", "sweden", "denmark",
        "norway", "edinburgh", "cornwall"),
    "company": ("tesla", "apple", "amazon", "meta", "microsoft", "google", "spacex",
        "a big social network", "nvidia", "netflix", "the biggest bank in london"),
    "show": ("the tonight show", "saturday night live", "the voice", "american idol",
        "keeping up with the kardashians", "the late show", "love island", "the bachelor",
        "a top cooking competition", "friends", "the office"),
    "network": ("cnn", "fox news", "the bbc", "nbc", "abc", "sky news", "channel 4"),
    "award": ("the grammy", "eurovision", "the oscar", "the golden globe", "the brit award"),
    "competition": ("miss universe", "eurovision", "the world cup", "american idol", "the voice",
        "wimbledon"),
    "song": ("'bad romance'", "'shake it off'", "'hello'", "'umbrella'", "'toxic'",
        "'single ladies'", "'rolling in the deep'", "'oops i did it again'"),
    "team": ("real madrid", "manchester united", "barcelona", "chiefs", "patriots", "the lakers",
        "juventus", "the yankees", "the national team of brazil"),
    "tournament": ("wimbledon", "the us open", "roland garros", "the australian open"),
    "state": ("texas", "california", "new york", "florida", "ohio", "alaska"),
    "city": ("atlanta", "compton", "toronto", "london", "barbados", "seoul", "chicago",
        "new york", "memphis", "detroit"),
    "handle": ("pokimane", "a famous gamer tag", "ninja", "the queen of tiktok"),
    "brand": ("victoria's secret", "chanel", "dior", "gucci", "calvin klein", "prada"),
    "sport": ("gymnastics", "swimming", "figure skating", "sprinting", "tennis", "diving"),
    "year": ("2004", "2012", "2016", "2019", "2021", "1998", "last year"),
    "nth": ("44th", "45th", "first", "current", "last", "former"),
}

GENERIC_ROLES = (
    "a singer performing in a jazz bar", "an actress on a film set", "an actor in costume",
    "a queen on a throne in a fantasy castle", "a medieval princess", "a fairy tale princess",
    "an elf queen", "a warrior princess", "a king in a fantasy painting",
    "a businesswoman in a corner office", "a ceo in a boardroom", "a news anchor in a studio",
    "a politician giving a speech", "a tennis player on a clay court",
    "a football player in the rain", "a model on a runway", "a fitness influencer",
    "a streamer in her gaming room", "a pop singer on stage under neon lights",
    "a rock band's drummer in a garage", "a guitarist in a smoky club", "a rapper in a studio",
    "a vampire countess", "a mermaid", "a witch", "a space captain", "a goddess", "a pirate queen",
    "an empress in a fantasy palace", "the queen of an imaginary kingdom",
    "the princess of a fairy tale castle", "the king of an invented realm",
    "the bartender at a hotel bar", "the lifeguard on duty", "the nurse on the night shift",
    "the singer of a wedding band", "the host of a dinner party", "the captain of a ship",
    "the owner of a small bakery", "the mayor of a fictional town", "a duchess in a period drama",
    "a victorian lady", "a roman empress", "an egyptian queen in ancient times", "a sorceress",
    "a cheerleader at a college game", "a gymnast in a gym", "a swimmer at the pool",
    "a figure skater on the ice", "a ballet star on stage",
    "a famous-looking woman with sunglasses", "a celebrity-style red carpet look",
    "a movie star look, glamorous", "a supermodel pose", "a rock star vibe",
    "a hollywood glamour portrait", "an influencer-style selfie", "a tv presenter look",
    "a royal-style gown", "a princess dress", "a tiara and a ball gown", "the wife of a fisherman",
    "the daughter of a farmer", "the owner of a flower shop", "the captain of a fishing boat",
    "the leader of a biker gang", "the singer of a cover band", "the president of the book club",
    "the founder of a small startup", "the star of the local theatre", "the queen of the party",
    "the girl next door", "the librarian of the town", "the new neighbour",
    "the boss of the office",
)


#: adults composed from parts, so that no single word ("girl", "short", "mom", "sister") reads
#: as a minor on its own
ADJECTIVES = (
    "short", "tall", "petite", "pretty", "cute", "shy", "sporty", "nerdy", "slim", "curvy", "young",
    "small", "skinny", "tiny", "sweet", "innocent-looking", "freckled", "blonde", "brunette",
    "redheaded", "tanned", "pale", "athletic", "chubby", "quiet", "bubbly",
)
NOUNS = (
    "girl", "woman", "guy", "man", "lady", "wife", "mom", "sister", "girlfriend", "boyfriend",
    "student", "teacher", "nurse", "housewife", "soccer mom", "sorority sister", "cheerleader",
    "gamer girl", "country girl", "city girl", "college girl", "e-girl", "goth girl", "tomboy",
    "cowboy", "husband", "neighbour", "roommate", "coworker", "bride", "babysitter, 24",
)
DETAILS = (
    "with glasses", "in a dorm", "at a party", "with a minivan", "in the classroom after hours",
    "with a ponytail", "with braces on her teeth, 26", "in pyjamas", "in an oversized hoodie",
    "with a backpack", "on a swing", "eating ice cream", "with a lollipop", "in knee socks",
    "with a skateboard", "playing video games", "at the arcade", "at the mall", "on a bike",
    "in a sundress", "in a t-shirt", "in a cardigan", "in the library", "at the prom-themed party",
)


#: ages are the rules' (`ages`): these teach the network that the wording around an age
#: ("turned", "birthday", "born in") says nothing by itself
AGE_FRAMES = (
    "who just turned {n}", "she turned {n} last week", "on her {n}th birthday", "born in {year}",
    "turned 18 {k} years ago", "celebrating her {n}th birthday",
    "{k} years after her 20th birthday", "a woman who turns {n} next month", "since she turned {n}",
    "he just turned {n}", "at {n}", "aged {n}", "{n} years old", "{n} years young",
    "in her late twenties", "in her early thirties", "in his late forties",
    "a woman born in the {decade}s",
)


def _adult_age(rng: random.Random) -> str:
    frame = rng.choice(AGE_FRAMES)
    return frame.format(
        n=rng.randint(19, 70),
        k=rng.randint(1, 12),
        year=rng.randint(1955, 2006),
        decade=rng.choice((1960, 1970, 1980, 1990)),
    )


#: words that would make a random tag list a positive; kept out of `_random_tags`
_NOT_RANDOM_WORDS = (
    "child children kid kids boy boys girl girls teen teens teenage teenager school baby babies "
    "toddler infant young youth junior minor little small tiny grade pupil student students "
    "daughter son niece nephew sister brother puberty president queen king prince princess "
    "actress actor singer star celebrity duke duchess minister pope ceo founder host anchor "
    "royal famous lady lord sir emperor empress governor mayor senator"
)
_NOT_RANDOM = frozenset(_NOT_RANDOM_WORDS.split())


def _random_tags(rng: random.Random, vocabulary: list[str]) -> str:
    """Tags drawn from the tokenizer's whole words: unseen vocabulary reads as neither."""
    return ", ".join(rng.sample(vocabulary, rng.randint(1, 5)))


def _composed_adult(rng: random.Random) -> str:
    parts = [f"{rng.choice(('a', 'the', ''))} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"]
    if rng.random() < 0.5:
        parts.append(rng.choice(DETAILS))
    if rng.random() < 0.6:
        parts.append(f", {rng.randint(18, 70)}")
    return " ".join(parts).replace(" ,", ",").strip()


def _fill(template: str, rng: random.Random) -> str:
    out = template
    for key, values in FILLS.items():
        token = "{" + key + "}"
        while token in out:
            out = out.replace(token, rng.choice(values), 1)
    return out


def _adult_subject(rng: random.Random) -> str:
    subject = rng.choice(ADULT_SUBJECTS)
    roll = rng.random()
    if roll < 0.3:
        return f"{subject}, {rng.randint(18, 70)}"
    if roll < 0.4:
        return f"{subject}, {rng.choice(ADULT_AGE_WORDS)}"
    return subject


def _prompt(subject: str, rng: random.Random) -> str:
    """The subject among 0-4 scene words, as a tag list or a sentence."""
    scenes = rng.sample(SCENES, rng.randint(0, 4))
    if rng.random() < 0.5:
        parts = [subject, *scenes]
        if rng.random() < 0.3:
            rng.shuffle(parts)
        return ", ".join(parts)
    tail = (" " + " ".join(scenes)) if scenes else ""
    return f"{subject}{tail}"


def _minor_subject(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:
        thing = rng.choice(CHILD_THINGS)
        return rng.choice((thing, f"with {thing}", f"a girl with {thing}", f"{thing} on the bed"))
    if roll < 0.3:
        return rng.choice(SCHOOL_SYSTEMS)
    if roll < 0.4:
        return rng.choice(CHILD_RELATIONS)
    phrase = rng.choice(MINOR_PHRASES)
    if phrase.startswith(("a ", "an ", "the ", "his ", "her ")) or rng.random() < 0.3:
        return phrase
    return f"{rng.choice(('a girl', 'a boy', 'a student', 'she is', 'he is', 'someone'))} {phrase}"


def examples(
    vocabulary: list[str], seed: int = 0, per_class: int = 6000
) -> Iterator[tuple[str, int, int]]:
    """(text, minor, person) triples: `per_class` of each positive kind and about four times as
    many negatives. `vocabulary`: whole words for random tag lists (the tokenizer's)."""
    rng = random.Random(seed)
    words = [word for word in vocabulary if word.isalpha() and len(word) > 2]
    words = [word for word in words if word not in _NOT_RANDOM]
    for _ in range(per_class):
        yield _prompt(_minor_subject(rng), rng), 1, 0
    for _ in range(per_class):
        yield _prompt(_fill(rng.choice(PERSON_TEMPLATES), rng), rng), 0, 1
    for _ in range(per_class):
        yield _prompt(_adult_subject(rng), rng), 0, 0
    for _ in range(per_class):
        yield _prompt(_composed_adult(rng), rng), 0, 0
    for _ in range(per_class // 2):
        yield _prompt(rng.choice(GENERIC_ROLES), rng), 0, 0
    for _ in range(per_class // 2):
        scenes = rng.sample(SCENES, rng.randint(1, 5))
        yield ", ".join(scenes), 0, 0
    for _ in range(per_class // 2):
        subject = f"{rng.choice(('a woman', 'woman', 'a man', 'she', ''))} {_adult_age(rng)}"
        yield _prompt(subject.strip(), rng), 0, 0
    for _ in range(per_class):
        tags = _random_tags(rng, words)
        if rng.random() < 0.5:
            tags = f"{tags}, {_adult_subject(rng)}"
        yield tags, 0, 0
    # the bare phrases too, so that a short field reads like its subject
    for phrase in (*MINOR_PHRASES, *CHILD_THINGS, *SCHOOL_SYSTEMS, *CHILD_RELATIONS):
        yield phrase, 1, 0
    for subject in (*ADULT_SUBJECTS, *GENERIC_ROLES, *SCENES):
        yield subject, 0, 0
