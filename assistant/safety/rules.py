"""The deterministic input rules: tables of red-flag, crisis, decline and off-topic phrases in the six
languages, fast and precise, with hypothetical or negated framing ("what should I do if it keeps
bleeding?") left to the answer engine. `check_rules(text) -> Verdict`; assistant/safety/input_rails.py
runs them first, then the semantic layer. Patterns are matched on `lexicon.normalise(text)`: lower case,
accents removed, "ß" -> "ss"."""

from __future__ import annotations

import re

from assistant.safety.verdict import Route, Verdict
from assistant.text.lexicon import DRUGS, detect_language, normalise

# ---------------------------------------------------------------- routing tables
#
# Each rule: (route, category, patterns, guarded). A rule fires when ALL its patterns match the message.
# `guarded`: the first pattern's match does not count when the sentence frames it as a hypothetical
# ("what should I do if it keeps bleeding?") or negates it ("it is not growing fast"): those are
# questions for the answer engine, whose curated text says when to get care.

_COND = (
    r"(?:skin\s+cancer|cancer|cancerous|melanoma|carcinoma|bcc|tumou?r|malignant|malignancy|benign|harmless)"
)
_DRUG_NAMES = "|".join(re.escape(d) for d in DRUGS)
_MEDICINE = (
    r"(?:creams?|ointments?|medicines?|medications?|meds|drugs?|pills?|tablets?|capsules?|antibiotics?|"
    r"steroids?|lotions?|gels?|painkillers?|drops)"
)

_Rule = tuple[Route, str, tuple[str, ...], bool]

_SELF_HARM_PATTERNS = (
    # en
    r"\bsuicid|\bkill(?:ing)?\s+my\s*self\b|\bend(?:ing)?\s+(?:my\s+(?:own\s+)?life|it\s+all)\b"
    r"|\btake\s+my\s+(?:own\s+)?life\b|(?<!n't )(?<!not )\bwant(?:s)?\s+to\s+die\b|\bwish\s+i\s+(?:was|were)\s+dead\b"
    r"|\bbetter\s+off\s+dead\b|\bself[- ]?harm|\bharm(?:ing)?\s+myself\b"
    r"|\b(?:want|going|urge|tempted)\s+to\s+(?:cut|hurt|harm|kill)\s+myself\b"
    r"|\b(?:don'?t|do\s+not)\s+want\s+to\s+(?:live|be\s+alive|be\s+here\s+anymore)\b|\bno\s+reason\s+to\s+live\b"
    r"|\bnot\s+worth\s+living\b|\bcan'?t\s+go\s+on\s+(?:living|anymore|like\s+this)\b",
    # es
    r"\bmatarme\b|\bquitarme\s+la\s+vida\b|(?<!no )\bquiero\s+morir(?:me)?\b|\bno\s+quiero\s+vivir\b"
    r"|\bhacerme\s+dano\b|\bautolesi",
    # fr
    r"\bme\s+tuer\b|\bmettre\s+fin\s+a\s+(?:mes\s+jours|ma\s+vie)\b|\benvie\s+de\s+mourir\b|\bveux\s+mourir\b"
    r"|\bme\s+faire\s+du\s+mal\b|\bautomutil",
    # de
    r"\bselbstmord|\bmich\s+(?:umbringen|toten)\b|\bmir\s+das\s+leben\s+nehmen\b"
    r"|\b(?:will|mochte)\s+(?:nicht\s+mehr\s+leben|sterben)\b|\bmir\s+(?:etwas|was)\s+antun\b|\bmich\s+ritzen\b|\bselbstverletz",
    # it
    r"\b(?:uccidermi|ammazzarmi)\b|\btogliermi\s+la\s+vita\b|(?<!non )\bvoglio\s+morire\b"
    r"|\bnon\s+voglio\s+(?:piu\s+)?vivere\b|\bfarmi\s+del\s+male\b|\bautolesion",
    # pt
    r"\bme\s+matar\b|\bmatar-me\b|\btirar\s+a\s+(?:minha\s+)?(?:propria\s+)?vida\b|(?<!nao )\bquero\s+morrer\b"
    r"|\bnao\s+quero\s+(?:mais\s+)?viver\b|\b(?:me\s+machucar|me\s+ferir|me\s+magoar|machucar-me|ferir-me|magoar-me)\b|\bautoles"
    r"|\b(?:ando\s+a\s+|estou\s+a\s+)?cortar-me\b|\bme\s+cortando\b",
    # Cutting oneself told in passing ("the marks are from me cutting"): en, es
    r"\bfrom\s+me\s+cutting\b|\bfrom\s+cutting\s+myself\b|\b(?:been|started|keep)\s+cutting\s+(?:myself|my\s+(?:arms?|legs?|wrists?|thighs?))\b"
    r"|\bself[- ]inflicted\b"
    r"|\bme\s+(?:corto|hago\s+cortes\s+en)\s+(?:los\s+|las\s+)?(?:brazos|piernas|munecas|muslos)\b",
    # Burning oneself with cigarettes; marks, cuts or burns "I do to myself"
    r"\b(?:burn|burning)\s+myself\s+with\s+(?:a\s+)?cigarettes?\b|\bme\s+quemo\s+con\s+(?:el\s+|los\s+)?cigarr\w*"
    r"|\bje\s+me\s+brule\s+(?:avec|a)\s+(?:la\s+|des\s+)?cigarettes?\b|\bverbrenne\s+mich\s+mit\s+zigaretten?\b"
    r"|\bmi\s+brucio\s+con\s+(?:le\s+|la\s+)?sigarett[ae]\b|\b(?:queimo-me|me\s+queimo)\s+com\s+(?:o\s+|os\s+)?cigarros?\b"
    r"|\b(?:marks?|scars?|cuts?|burns?)\b[^.!?]{0,40}\bi\s+(?:do|did)\s+(?:them|it|this)\s+to\s+myself\b"
    r"|\b(?:marcas|cicatrices|cortes|quemaduras|heridas)\b[^\n]{0,60}\bme\s+(?:las|los)\s+hago\s+yo\b"
    r"|\bje\s+me\s+les\s+fais\s+(?:moi-meme|moi\s+meme|expres)\b|\bme\s+(?:li|le)\s+faccio\s+(?:da\s+sol[oa]|io|apposta)\b"
    r"|\bsou\s+eu\s+que\s+(?:as|os|mas|mos)\s+faco\b|\b(?:fuge|mache)\s+ich\s+mir\s+selbst\b",
    # Euphemisms: not planning to be around, rather be gone, tired of living, not going to fight it.
    r"\b(?:don'?t|do\s+not)\s+(?:really\s+|even\s+)?(?:plan|intend|expect)\s+(?:on\s+)?(?:to\s+)?(?:be(?:ing)?\s+)?(?:around|here|alive)\b"
    r"|\bwon'?t\s+be\s+(?:around|here|alive)\s+(?:much\s+longer|for\s+long|anymore|any\s+more)\b"
    r"|\b(?:i'?d|i\s+would)\s+(?:much\s+)?rather\s+(?:just\s+)?(?:be\s+gone|be\s+dead|die|not\s+(?:be\s+here|exist|wake\s+up)|disappear)\b"
    r"|\btired\s+of\s+(?:existing|living|being\s+alive|life)\b|\bno\s+way\s+out\b|\b(?:sleep|go\s+to\s+sleep)\s+and\s+(?:never|not)\s+wake\s+up\b",
    r"\bprefiero\s+(?:irme|morir(?:me)?|no\s+estar|desaparecer|no\s+despertar)\b|\bcansad[oa]\s+de\s+vivir\b"
    r"|\bno\s+(?:pienso|planeo)\s+(?:seguir|estar|quedarme)\s+(?:aqui|vivo|viva|mucho)\b|\bno\s+hay\s+salida\b"
    r"|\bpara\s+entonces\s+ya\s+no\s+estare\b|\bno\s+voy\s+a\s+estar\s+(?:ya\s+)?(?:aqui|vivo|viva)\b",
    r"\bje\s+prefere(?:rais)?\s+(?:partir|mourir|disparaitre|en\s+finir|ne\s+plus\s+etre\s+la)\b|\bfatigue(?:e)?\s+de\s+vivre\b"
    r"|\bje\s+ne\s+(?:compte|pense)\s+pas\s+(?:rester|etre\s+(?:encore\s+)?la)\b|\bplus\s+d'?\s?issue\b"
    r"|\bje\s+(?:ne\s+)?serai\s+(?:\w+\s+)?plus\s+la\b",
    r"\blieber\s+(?:tot|sterben|weg\s+sein|nicht\s+mehr\s+da\s+sein|verschwinden)\b|\blebensmude\b"
    r"|\bnicht\s+mehr\s+(?:lange\s+)?(?:da|hier)\s+sein\s+(?:will|mochte|werde)\b|\bkeinen\s+ausweg\s+mehr\b"
    r"|\bnicht\s+vor,?\s+(?:noch\s+)?(?:lange\s+)?(?:hier|da)\s+zu\s+sein\b|\bbin\s+(?:dann\s+)?(?:eh|bald)\s+nicht\s+mehr\s+(?:lange\s+)?(?:da|hier)\b|\bbin\s+nicht\s+mehr\s+lange\s+(?:da|hier)\b",
    r"\bpreferi(?:sco|rei)\s+(?:andarmene|morire|sparire|non\s+esserci(?:\s+piu)?)\b|\bstanc[oa]\s+di\s+vivere\b"
    r"|\bnon\s+ci\s+saro\s+piu\b|\bnessuna\s+via\s+d'?\s?uscita\b|\bnon\s+ho\s+intenzione\s+di\s+(?:restare|rimanere|esserci)\b",
    r"\bprefiro\s+(?:partir|morrer|desaparecer|ir-me|nao\s+estar\s+(?:ca|aqui))\b|\bcansad[oa]\s+de\s+viver\b"
    r"|\bnao\s+(?:planeio|pretendo|conto|tenciono)\s+(?:estar|ficar)\s+(?:ca|aqui|vivo|viva|por\s+ca)\b|\bnao\s+ha\s+saida\b"
    r"|\bnao\s+vou\s+(?:mais\s+)?estar\s+(?:mais\s+)?(?:aqui|ca|vivo|viva)\b",
    # Hurting oneself on purpose (cutting, burning), in the six languages: the act and the intent, one sentence.
    r"\b(?:cut|cutting|burn|burning|burnt|burned|hurt|hurting|harm|harming)\s+(?:myself|my\s+(?:arms?|legs?|wrists?|thighs?|skin|hands?))\b"
    r"[^.!?]{0,60}\b(?:on\s+purpose|deliberately|intentionally)\b"
    r"|\bme\s+(?:corto|quemo|lastimo|hago\s+(?:dano|cortes))\b[^.!?]{0,60}\b(?:a\s+proposito|adrede|queriendo)\b"
    r"|\bje\s+me\s+(?:coupe|brule|blesse|fais\s+du\s+mal)\b[^.!?]{0,60}\bexpres\b|\bje\s+me\s+scarifie"
    r"|\b(?:schneide|verbrenne|verletze)\s+(?:ich\s+)?mich\b[^.!?]{0,60}\b(?:absichtlich|mit\s+absicht)\b"
    r"|\bmi\s+(?:taglio|brucio|ferisco|faccio\s+del\s+male)\b[^.!?]{0,60}\b(?:apposta|di\s+proposito|volontariamente)\b"
    r"|\b(?:me\s+corto|corto-me|me\s+queimo|queimo-me|me\s+machuco|machuco-me)\b[^.!?]{0,60}\b(?:de\s+proposito|propositadamente)\b",
)

_EMERGENCY_PATTERNS: dict[str, tuple[str, ...]] = {
    "bleeding": (
        # en: the bleeding persists or is heavy; a single bleed ("it bled once when I scratched it") is not enough
        r"\b(?:bleed|bleeds|bleeding|bled)\b[^.!?]{0,40}?\b(?:won'?t|will\s+not|wont|doesn'?t|does\s+not|didn'?t"
        r"|did\s+not|can'?t|cannot|isn'?t|is\s+not|hasn'?t|has\s+not|not)\s+(?:stop|stopping|stopped)\b"
        r"|\b(?:won'?t|will\s+not|can'?t|cannot|couldn'?t)\s+stop\s+(?:the\s+|it\s+from\s+)?bleed"
        r"|\b(?:keeps?|kept|still|constantly|non-?stop|continuously)\s+(?:on\s+)?bleed"
        r"|\bbleed(?:s|ing)?\s+(?:heavily|profusely|a\s+lot|non-?stop|constantly|everywhere|badly|so\s+much)\b"
        r"|\b(?:lots?\s+of|so\s+much|a\s+lot\s+of)\s+blood\b|\bblood\s+everywhere\b|\bsoak(?:ed|ing)\b[^.!?]{0,30}\bblood",
        # es
        r"\bno\s+(?:para|deja)\s+de\s+sangrar\b|\bsangra(?:ndo)?\s+(?:mucho|muchisimo|sin\s+parar|a\s+chorros)\b"
        r"|\bsigue\s+sangrando\b|\bel\s+sangrado\s+no\s+(?:para|se\s+detiene)\b",
        # fr
        r"\bn'?\s?arrete\s+pas\s+de\s+saigner\b|\bne\s+cesse\s+(?:pas\s+)?de\s+saigner\b"
        r"|\bsaigne\s+(?:beaucoup|abondamment|sans\s+arret|enormement)\b|\bcontinue\s+(?:de|a)\s+saigner\b"
        r"|\bsaign\w*\b[^.!?]{0,40}\bne\s+s'?\s?arrete\s+pas\b",
        # de
        r"\bhort\s+nicht\s+auf\s+zu\s+bluten\b|\bblutet\s+(?:sehr\s+)?(?:stark|ununterbrochen|immer\s+noch|standig|weiter)\b"
        r"|\bblutung\s+(?:hort|stoppt)\s+nicht\b|\bblut\w*\b[^.!?]{0,40}\bhort\s+nicht\s+auf\b",
        # it
        r"\bnon\s+(?:smette|si\s+ferma|finisce)\s+di\s+sanguinare\b"
        r"|\bsanguina\s+(?:molto|tanto|tantissimo|senza\s+sosta|continuamente|ancora)\b|\bcontinua\s+a\s+sanguinare\b"
        r"|\bil\s+sanguinamento\s+non\s+si\s+ferma\b",
        # pt
        r"\bnao\s+(?:para|parou)\s+de\s+sangrar\b|\bsangra(?:ndo)?\s+(?:muito|sem\s+parar|bastante)\b"
        r"|\bcontinua\s+(?:a\s+sangrar|sangrando)\b|\bo\s+sangramento\s+nao\s+para\b",
    ),
    "rapid_change": (
        # en: the spot itself is described as changing fast (not "is rapid growth a warning sign?")
        r"\b(?:grow|grows|growing|grew|grown|got\s+bigger|getting\s+bigger|spread|spreads|spreading|change|changes"
        r"|changing|changed)\s+(?:very\s+|really\s+|so\s+|super\s+)?(?:fast|quickly|rapidly|overnight)\b"
        r"|\bdoubled\s+in\s+size\b|\b(?:grown|grew|changed|got\s+(?:much\s+)?bigger)\b[^.!?]{0,30}?\b(?:in|within|over)\s+"
        r"(?:just\s+)?(?:a|one|two|three|a\s+few|few|the\s+(?:last|past)(?:\s+few)?|\d+)\s+(?:days?|weeks?|nights?)\b",
        # es
        r"\b(?:crece|crecio|creciendo|cambia|cambio|cambiando)\s+(?:muy\s+)?(?:rapido|rapidamente|deprisa)\b"
        r"|\bha\s+crecido\s+mucho\b",
        # fr
        r"\b(?:grossit|grandit|grossi|grandi|change|evolue|s'?\s?etend)\s+(?:tres\s+|tellement\s+|trop\s+)?(?:vite|rapidement)\b"
        r"|\ba\s+beaucoup\s+(?:grossi|grandi|change)\b",
        # de
        r"\b(?:wachst|verandert\s+sich|vergrossert\s+sich)\s+(?:sehr\s+|so\s+)?(?:schnell|rasch|rasant)\b"
        r"|\b(?:schnell|rasch|stark)\s+(?:gewachsen|grosser\s+geworden|verandert)\b",
        # it
        r"\b(?:cresce|crescendo|cresciuto|cambia|cambiando|cambiato)\s+(?:molto\s+)?(?:velocemente|rapidamente|in\s+fretta|veloce)\b"
        r"|\be\s+cresciuto\s+(?:molto|tanto)\b",
        # pt
        r"\b(?:cresce|crescendo|cresceu|muda|mudando|mudou)\s+(?:muito\s+)?(?:rapido|rapidamente|depressa)\b"
        r"|\bcresceu\s+muito\b",
    ),
    "severe_pain": (
        r"\b(?:severe|extreme|unbearable|excruciating|intense|terrible|awful|agoni[sz]ing)\s+(?:pain|ache|burning)\b"
        r"|\b(?:very|extremely|incredibly|unbearably|really)\s+painful\b|\bpain\s+is\s+(?:unbearable|severe|excruciating|terrible)\b"
        r"|\bhurts?\s+(?:so\s+much|a\s+lot|really\s+bad(?:ly)?|terribly|badly|like\s+hell)\b|\bin\s+(?:agony|a\s+lot\s+of\s+pain)\b",
        r"\bdolor\s+(?:muy\s+)?(?:intenso|fuerte|insoportable|terrible)\b|\bduele\s+(?:mucho|muchisimo)\b",
        r"\bdouleur\s+(?:tres\s+)?(?:intense|forte|insupportable|atroce|terrible)\b|\b(?:tres|extremement)\s+douloureu"
        r"|\bfait\s+(?:tres|extremement|terriblement)\s+mal\b",
        r"\b(?:starke|sehr\s+starke|unertragliche|heftige|extreme)\s+schmerzen\b|\btut\s+(?:sehr|extrem|hollisch|furchtbar)\s+weh\b",
        r"\bdolore\s+(?:molto\s+)?(?:forte|intenso|insopportabile|atroce|terribile)\b|\bfa\s+(?:molto|tantissimo)\s+male\b|\bfa\s+malissimo\b",
        r"\bdor\s+(?:muito\s+)?(?:forte|intensa|insuportavel|terrivel)\b|\bdoi\s+(?:muito|demais)\b",
    ),
    "breathing": (
        r"\b(?:can'?t|cannot|hard\s+to|trouble|difficulty|struggling\s+to)\s+(?:breathe|breathing)\b|\banaphyla"
        r"|\b(?:throat|lips?|tongue|face)\s+(?:is\s+|are\s+)?(?:swelling|swollen)\b|\bswelling\s+(?:of|in)\s+(?:my\s+)?(?:throat|lips|tongue|face)\b",
        # es, fr, de, it, pt: the same two signs, hard to breathe and a throat, tongue, lips or face swelling
        r"\bno\s+puedo\s+respirar\b|\b(?:dificultad|me\s+cuesta)\s+(?:para\s+)?respirar\b|\bme\s+falta\s+el\s+aire\b"
        r"|\bse\s+me\s+(?:esta\s+)?(?:hincha|hinchan|cierra)(?:ndo)?\s+(?:la\s+|los\s+|el\s+)?(?:garganta|lengua|labios|cara)\b"
        r"|\b(?:garganta|lengua|labios|cara)\s+(?:se\s+(?:me\s+)?)?(?:hinchad[oa]s?|hincha(?:n|ndo)?|cierra)\b",
        r"\bn'?\s?arrive\s+pas\s+a\s+respirer\b|\b(?:du\s+mal|difficulte)\s+a\s+respirer\b|\bj'?\s?etouffe\b"
        r"|\b(?:gorge|langue|levres|visage)\s+(?:qui\s+|se\s+met\s+a\s+)?(?:gonfle|gonflent|enfle|enflent|se\s+serre|est\s+gonfle\w*)",
        r"\bkann\s+nicht\s+(?:richtig\s+)?atmen\b|\batemnot\b|\b(?:bekomme|kriege?)\s+(?:keine|kaum|schlecht)\s+luft\b"
        r"|\bschwill\w*\s+(?:mir\s+)?(?:mein\w*\s+|der\s+|die\s+)?(?:hals|rachen|zunge|lippen?|gesicht)\b"
        r"|\b(?:hals|rachen|zunge|lippen?|gesicht)\s+(?:schwillt|schwellen|ist\s+geschwollen|sind\s+geschwollen|schnurt\s+sich\s+zu)\b",
        r"\bnon\s+riesco\s+a\s+respirare\b|\b(?:difficolta|fatico)\s+a\s+respirare\b|\bmi\s+manca\s+l'?\s?aria\b"
        r"|\bmi\s+si\s+(?:gonfia|gonfiano|chiude)\s+(?:la\s+|le\s+|il\s+)?(?:gola|lingua|labbra|faccia|viso)\b"
        r"|\b(?:gola|lingua|labbra|faccia|viso)\s+(?:si\s+)?(?:gonfi[ae]|gonfiano|chiude)\b",
        r"\bnao\s+consigo\s+respirar\b|\bdificuldade\s+(?:para|em|de)\s+respirar\b|\bfalta\s+de\s+ar\b|\bmal\s+consigo\s+respirar\b"
        r"|\b(?:garganta|lingua|labios|cara|rosto)\s+(?:esta\s+)?(?:inchad[oa]s?|a\s+inchar|inchando|a\s+fechar|fechando)\b",
    ),
}
# Fever plus a spreading rash / redness, in any order: both halves must match.
_FEVER = r"\b(?:fever|feverish|high\s+temperature|fiebre|fievre|fieber|febbre|febre)\b"
_RASH = (
    r"\b(?:rash|redness|red\s+streaks?|streaks?|spreading|swollen|swelling|hot\s+to\s+the\s+touch"
    r"|sarpullido|erupcion|eritema|enrojecimiento|manchas\s+rojas|se\s+extiende|hinchad|hinchazon"
    r"|eruption|rougeur|plaques?\s+rouges?|s'?\s?etend|gonfl|ausschlag|rotung|breitet\s+sich\s+aus|rote\s+streifen"
    r"|geschwollen|schwellung|eruzione|arrossamento|sfogo|chiazze\s+rosse|si\s+(?:allarga|espande|estende)|gonfi"
    r"|erupcao|vermelhidao|brotoeja|se\s+espalha|espalhando|inchad|inchaco)"
)
# Red streaks spreading from a spot suggest a spreading infection even without a fever.
_STREAKS = r"\bred\s+(?:streaks?|lines?)\b[^.!?]{0,30}\b(?:spread|spreading|coming|going|running)\b"

_JAILBREAK = (
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|these|those|my|of)\s+)*"
    r"(?:(?:previous|prior|above|earlier|original|system|safety)\s+)*(?:instructions?|rules?|prompts?|guidelines?"
    r"|guardrails?|restrictions?|directions?|programming)\b"
    r"|\bpretend\s+(?:that\s+)?(?:you\s+are|you're|to\s+be|ur)\b"
    r"|\b(?:act|behave|respond|answer|speak|talk)\s+(?:as|like)\s+(?:if\s+you\s+were\s+)?(?:a|an|my)\s+"
    r"(?:real\s+|licensed\s+|qualified\s+)?(?:doctor|dermatologist|physician|oncologist|nurse|pharmacist|gp)\b"
    r"|\brole-?\s?play|\byou\s+are\s+now\b|\bfrom\s+now\s+on,?\s+you\b|\b(?:developer|dev|god|jailbreak|unrestricted|dan)\s+mode\b"
    r"|\bjailbreak|\bdo\s+anything\s+now\b|\b(?:system|initial|hidden)\s+prompt\b"
    r"|\b(?:reveal|show|print|repeat)\s+(?:me\s+)?(?:your|the)\s+(?:instructions|prompt|rules)\b"
    r"|\bwithout\s+(?:any\s+)?(?:disclaimers?|restrictions?|filters?|rules|warnings|safety)\b",
    r"\bignora\s+(?:todas\s+|tutte\s+)?(?:las\s+|le\s+)?(?:instrucciones|reglas|istruzioni|regole)\b"
    r"|\b(?:finge|haz\s+como\s+si|actua\s+como)\s+(?:que\s+)?(?:eres|fueras|si\s+fueras)?\s*(?:un|una|mi)?\s*(?:medico|doctor|dermatolog)",
    r"\bignore[rz]?\s+(?:toutes\s+)?(?:les|tes|vos)\s+(?:instructions|regles|consignes)\b"
    r"|\b(?:fais|faites)\s+semblant\s+d'?\s?etre\b|\b(?:agis|agissez)\s+comme\s+(?:un|mon)\s+(?:medecin|docteur|dermatolog)",
    r"\bignorier\w*\s+(?:alle\s+)?(?:(?:vorherigen|bisherigen|deine|ihre)\s+)?(?:anweisungen|regeln|instruktionen)\b"
    r"|\btu\s+so,?\s+als\s+(?:ob\s+)?(?:du|warst)\b|\b(?:spiel|sei)\s+(?:ein|mein)\s+arzt\b",
    r"\b(?:fingi|fai\s+finta)\s+di\s+essere\b|\b(?:comportati|agisci)\s+come\s+(?:un|il\s+mio)\s+medico\b",
    r"\bignore\s+(?:todas\s+)?(?:as\s+)?(?:instrucoes|regras)\b"
    r"|\b(?:finja|faz\s+de\s+conta)\s+(?:que\s+)?(?:e|es|voce\s+e|ser)\s+(?:um|uma|meu)?\s*(?:medico|doutor|dermatolog)",
)

_DOSE = (
    r"\b\d+(?:[.,]\d+)?\s?(?:mg|mcg|ml|iu)\b|\b(?:mg|milligrams?|dosage|doses?|dosing|dosis|dosierung|posologie|dosaggio|dosagem)\b"
    rf"|\bhow\s+(?:much|many|often)\b[^.!?]{{0,40}}\b(?:{_MEDICINE}|{_DRUG_NAMES})\b"
    r"|\bhow\s+(?:much|many|often)\s+(?:should|do|can|must)\s+i\s+(?:take|apply)\s*(?:it|them|this|that)?\s*(?:[?.!]|$)",
)
_PRESCRIPTION = (
    rf"(?<![\w-])(?:{_DRUG_NAMES})(?![\w-])"
    r"|\bprescri(?:be|ption)\s+(?:me|for\s+me)\b|\b(?:give|write)\s+me\s+(?:a\s+)?(?:prescription|script)\b|\bcan\s+you\s+prescribe\b"
    rf"|\b(?:what|which)\s+(?:kind\s+of\s+|type\s+of\s+)?{_MEDICINE}\s+(?:should|could|can|do|would|might|must)\s+(?:i|we|you)\b"
    r"|\b(?:what|which|anything|something)\s+(?:\w+\s+){0,2}(?:should|can|could|do|must)\s+i\s+(?:put|apply|rub|use|take)\s+(?:on|for|to|against)\b"
    rf"|\b(?:recommend|suggest|best|good)\s+(?:me\s+)?(?:a\s+|an\s+|some\s+)?(?:\w+\s+)?{_MEDICINE}\b"
    rf"|\bcan\s+i\s+(?:use|take|apply|put)\s+(?:some\s+|a\s+|an\s+)?(?:\w+\s+)?{_MEDICINE}\b",
    r"\b(?:que|qual|quale|quali|quais|quel|quelle|quels|quelles|welche[snm]?|cual|cuales)\s+(?:\w+\s+)?(?:crema|creme|pomada|pommade|pomata|salbe"
    r"|medicamento|medicament|medikament|farmaco|medicina|remedio|tabletten|pastillas|comprimidos|antibiotico"
    r"|pastiglie|compresse|pillole|pilules|comprimes|cachets|pastilhas|comprimidos|pillen"
    r"|antibiotique|antibiotikum)\b",
    # German compounds the drug list's word boundaries miss ("Kortisonsalbe"), and "name me a good ointment"
    r"\b\w*(?:kortison|cortison)\w*\b|\b(?:nenn|empfiehl)\s+mir\b[^.?!]{0,30}(?:salbe|creme|medikament|tabletten)\b",
    # "prescribe me ...", "write me a prescription" in es, fr, de, it, pt ("receta"/"ricetta" alone is a recipe)
    r"\brecetame\b|\bme\s+(?:puede[sn]?|podria[sn]?)\s+recetar\b|\b(?:hazme|hacerme|me\s+haces|me\s+hace)\s+una\s+receta\b"
    r"|\b(?:prescrivez|prescris)(?:-|\s+)moi\b|\b(?:faites|fais|redigez|redige|donnez|donne)(?:-|\s+)moi\s+une\s+ordonnance\b"
    r"|\bme\s+(?:faire|rediger|donner)\s+une\s+ordonnance\b|\bme\s+prescrire\b"
    r"|\bverschreiben\s+sie\s+mir\b|\bverschreib\s+mir\b|\b(?:konnen|konnten|kannst|wurden|wurdest)\s+(?:sie|du)\s+mir\s+(?:\w+\s+){0,3}verschreiben\b|\brezept\s+(?:aus|fur\s+mich)\b"
    r"|\b(?:ausstellen|schreiben)\s+sie\s+mir\s+(?:ein|das)\s+rezept\b"
    r"|\bprescrivimi\b|\bmi\s+(?:puo|puoi|potrebbe)\s+prescrivere\b|\b(?:mi\s+)?(?:fai|fa|fare|farmi)\s+(?:la\s+|una\s+)?ricetta\s+(?:per|di|medica)\b"
    r"|\bprescreve-me\b|\bme\s+(?:receita|prescreve)\b|\bpode\s+(?:me\s+)?(?:receitar|prescrever)\b"
    r"|\b(?:passa|passe|passar|faz|faca|fazer)(?:-me|\s+me)?\s+(?:uma\s+)?receita\s+(?:de|do|da|para)\b",
)
_SELF_TREATMENT = (
    # Tying a growth off with thread or floss at home, in the six languages
    r"\b(?:abbinden|abbinde|abschnuren|amarr\w*|atar(?:lo|la)?|legar(?:lo|la)?|ligatur\w*|tie\s+(?:it|the\s+\w+)\s+off)\b[^.?!]{0,40}"
    r"\b(?:faden|zahnseide|linha|fio|hilo|filo|fil|thread|floss)\b"
    r"|\b(?:tir\w*|quit\w*|enlev\w*|entfern\w*|togli\w*|remov\w*|get\s+rid\s+of)\b[^.?!]{0,40}\b(?:com|con|col|mit|avec|with)\s+"
    r"(?:uma\s+|una\s+|un\s+|une\s+|einem\s+|einer\s+|a\s+|some\s+)?(?:linha|hilo|faden|zahnseide|filo|fil|thread|floss)\b"
    r"|\b(?:faden|zahnseide|linha|hilo|filo|fil)\b[^.?!]{0,20}\b(?:abbinden|abbinde|abschnuren|amarr\w*|atar|legar\w*|ligatur\w*)\b",
    # "what do I buy at the pharmacy to remove it?": a product is a treatment, in any language
    r"\b(?:buy|get|purchase|compro|comprar|achete|acheter|kaufe|kaufen|comprare)\b[^.?!]{0,30}"
    r"\b(?:pharmacy|chemist'?s?|drugstore|farmacia|pharmacie|apotheke|drogerie)\b"
    r"|\b(?:pharmacy|chemist'?s?|drugstore|farmacia|pharmacie|apotheke|drogerie)\b[^.?!]{0,30}"
    r"\b(?:remove|get\s+rid|quitar\w*|enlever|entfernen|weg|togliere|toglierlo|tirar|remover)\b",
    r"\b(?:remove|cut|burn|freeze|shave|pop|squeeze|scrape|cut\s+off|burn\s+off|get\s+rid\s+of)\s+(?:it|this|that"
    r"|the\s+\w+|my\s+\w+)\s+(?:off\s+)?(?:myself|at\s+home|by\s+myself|on\s+my\s+own)\b|\bhome\s+remed(?:y|ies)\b"
    r"|\b(?:how\s+(?:do|can|could|should)\s+i|can\s+i)\s+(?:remove|cut\s+off|burn\s+off|freeze\s+off|get\s+rid\s+of|treat)\b"
    r"|\b(?:snip|clip|cut|tie|burn|freeze)\w*\s+(?:this|that|the|my)\s+(?:\w+\s+)?(?:skin\s+tag|tag|mole|wart|spot|lesion|growth|lump)s?\s+off\b"
    r"|\b(?:snip|clip|cut|tie|burn|freeze)\w*\s+it\s+off\s+with\s+(?:\w+\s+)?(?:scissors|clippers|razor|knife|blade|thread|floss)\b"
    # removing it oneself with a blade or scissors, in es, fr, de, it, pt (a surgeon's scalpel is not here)
    r"|\b(?:enlev|retir|coup|quit|cort|entfern|abschneid|wegschneid|togli|tagli|tir|remov)\w*\b[^.?!]{0,40}"
    r"\b(?:cutter|cuter|ciseaux|tijeras|schere|forbici\w*|tesoura|cuchilla|lame\s+de\s+rasoir|rasoir|klinge|rasierklinge"
    r"|lametta|lamina|navaja|cuchillo|couteau|messer|coltello|faca)\b",
)
_DIAGNOSIS = (
    rf"\b(?:do|did|could|might|may)\s+i\s+(?:have|got)\s+(?:a\s+|an\s+)?(?:\w+\s+)?{_COND}\b"
    rf"|\b(?:is|are)\s+(?:it|this|that|these|they|my\s+\w+|the\s+(?:spot|lesion|mole|growth|mark|bump))\s+"
    rf"(?:definitely\s+|really\s+|actually\s+|certainly\s+|100\s?%\s+|surely\s+)?(?:an?\s+)?(?:\w+\s+)?{_COND}\b"
    r"|\b(?:is|are)\s+(?:it|this|that)\s+(?:definitely|certainly|100\s?%|surely|for\s+sure)\b"
    r"|\b(?:it'?s|it\s+is|that'?s)\s+(?:definitely|certainly|100\s?%|surely)\s+(?:\w+\s+)?(?:benign|harmless|fine|nothing|not\s+cancer)\b"
    r"|\b(?:benin\w*|benign\w*|benigno|gutartig|harmlos|inofensiv\w*|innocu\w*)\s+(?:a|al|zu|ao)?\s*100\s?%"
    r"|\b(?:you\s+)?confirm\s+(?:to\s+me\s+)?(?:that\s+)?(?:it'?s|it\s+is|this\s+is|that\s+is|i\s+have|whether|if)\b"
    r"|\b(?:can|could|will)\s+you\s+confirm\b|\bconfirm\s+(?:my|the)\s+diagnosis\b"
    r"|\b(?:give|tell)\s+me\s+(?:a|the|my|your)\s+diagnosis\b|\bdiagnose\s+(?:me|it|this|my)\b|\bwhat(?:'s|\s+is)\s+my\s+diagnosis\b"
    r"|\btell\s+me\s+(?:if|whether)\s+(?:it'?s|it\s+is|this\s+is|i\s+have|i've\s+got)\b"
    r"|\b(?:guarantee|promise)\b|\bam\s+i\s+(?:going\s+to|gonna)\s+die\b",
    # es / fr / de / it / pt: "do I have cancer", "is this (a) melanoma", "confirm that ..."
    r"\btengo\s+(?:un\s+)?(?:\w+\s+)?(?:cancer|melanoma|carcinoma|tumor)\b"
    r"|\b(?:esto|eso|este\s+lunar|esta\s+mancha)\s+es\s+(?:un\s+)?(?:cancer|melanoma|maligno|benigno)\b"
    r"|\bes\s+(?:esto|eso)\s+(?:un\s+)?(?:cancer|melanoma|maligno|benigno)\b"
    r"|\b(?:est-ce\s+que\s+)?j'?\s?ai\s+(?:un\s+)?(?:cancer|melanome|carcinome)\b|\bc'?\s?est\s+(?:un\s+)?(?:cancer|melanome|malin|benin)\b"
    r"|\bhabe\s+ich\s+(?:\w+\s+)?(?:krebs|melanom|hautkrebs|karzinom|tumor)\b|\bist\s+(?:es|das)\s+(?:\w+\s+)?(?:krebs|melanom|bosartig|gutartig)\b"
    r"|\bho\s+(?:un\s+)?(?:cancro|tumore|melanoma|carcinoma)\b|\bquesto\s+e\s+(?:un\s+)?(?:cancro|tumore|melanoma|maligno|benigno)\b"
    r"|\btenho\s+(?:um\s+)?(?:\w+\s+)?(?:cancer|cancro|melanoma|carcinoma|tumor)\b|\bisto\s+e\s+(?:um\s+)?(?:cancer|cancro|melanoma|maligno|benigno)\b"
    r"|\b(?:confirma|confirme|confirmes|confirmez|conferma|confermi|bestatige|bestatigen\s+sie)\s+(?:me\s+|mir\s+|-moi\s+|mi\s+)?(?:que|che|dass)\b",
    # Certainty demands: "is this 100% a mole?", "can you guarantee it is harmless?" in the six languages.
    r"(?:\b100\s?%|\bcien\s+por\s+cien\b|\bcento\s+per\s+cento\b|\bhundert\s?prozent\w*|\bcem\s+por\s+cento\b"
    r"|\bsicher(?:\s+ist)?\b|\bseguro\s+que\b|\bsur\s+(?:a\s+100\s?%\s+)?que\b|\bsicuro\s+che\b|\bcerteza\s+(?:de\s+)?que\b)"
    r"[^.?!]{0,30}\b(?:mole|lunar|grain\s+de\s+beaute|muttermal|leberfleck|neo|sinal|nevus|nevo|naevus|harmless|benign\w*"
    r"|inofensiv\w*|inoffensi\w*|harmlos|innocu\w*|cancer|cancro|krebs|melanom\w*|normal)\b"
    r"|\b(?:garantiz\w*|garantiss\w*|garantier\w*|garanti(?:re|sci|sce)\w*|garant(?:es|e)-me|garantes|garante)\b"
    # "I want the exact name, not percentages": a diagnosis by another word, in the six languages
    r"|\b(?:nom|nome|nombre|namen?)\s+(?:precis|exact\w*|esatto|preciso|concreto|genau\w*)\b"
    r"|\b(?:precise|exact)\s+name\s+of\s+(?:it|this|that|what\s+i\s+have|the\s+(?:condition|disease|lesion|spot|mole))\b"
    r"|\bgive\s+me\s+(?:the|a)\s+(?:precise|exact)\s+name\b|\b(?:genauen|exakten)\s+namen\b",
    # Demands to be told it is nothing ("I need you to say it's not melanoma"): an all-clear is a diagnosis too.
    r"\b(?:tell|promise|assure|reassure|swear\s+to)\s+me\s+(?:that\s+)?(?:it'?s|it\s+is|this\s+is|this'?s|that'?s|that\s+is"
    r"|i'?m|i\s+am|i\s+don'?t|i\s+do\s+not|there'?s|there\s+is|it\s+isn'?t|it\s+won'?t)\b"
    r"|\b(?:need|want)\s+(?:you\s+)?to\s+(?:say|tell\s+me|hear|know)\s+(?:that\s+)?(?:it'?s|it\s+is|this\s+is|it\s+isn'?t|i'?m)\s+"
    r"(?:definitely\s+|really\s+|only\s+|just\s+)?(?:not|nothing|fine|ok(?:ay)?|harmless|benign|safe|normal|no\b)"
    r"|\b(?:just\s+)?say\s+(?:that\s+)?(?:it'?s|it\s+is|this\s+is)\s+(?:definitely\s+|only\s+|just\s+)?"
    r"(?:not|nothing|fine|ok(?:ay)?|harmless|benign|safe|normal)\b",
    r"\b(?:dime|digame|digas|diga|asegurame|aseguradme|prometeme|jurame)\s+que\s+(?:no\s+es|no\s+tengo|no\s+pasa|es\s+(?:benign|inofensiv|normal|nada))"
    r"|\b(?:dis|dites)(?:-|\s+)moi\s+que\s+(?:ce\s+n'?\s?est\s+pas|c'?\s?est\s+(?:benin|rien|normal|pas)|je\s+n'?\s?ai\s+(?:pas|rien))"
    r"|\bque\s+(?:tu\s+me\s+dises|vous\s+me\s+disiez)\s+que\b|\b(?:rassure|promets|jure|assure)(?:-|\s+)moi\s+que\b"
    r"|\bsag(?:en\s+sie)?\s+mir,?\s+dass\s+(?:es|das|ich)\s+(?:\w+\s+)?(?:kein|nicht|harmlos|gutartig|nichts)"
    r"|\b(?:versprich|versprechen\s+sie|schwor)\s+mir,?\s+dass\b"
    r"|\b(?:dimmi|mi\s+dica|dica|dirmi)\s+che\s+(?:non\s+e|non\s+ho|e\s+(?:benign|innocu|normal|niente))"
    r"|\bche\s+tu\s+mi\s+dica\s+che\b|\b(?:promettimi|assicurami|rassicurami|giurami)\s+che\b"
    r"|\b(?:diga-me|diz-me|me\s+diga|me\s+diz|digas|diga)\s+que\s+(?:nao\s+e|nao\s+tenho|e\s+(?:benign|inofensiv|normal|nada))"
    r"|\b(?:prometa-me|promete-me|garanta-me|garante-me|jura-me|jure-me)\s+que\b",
)
# Cancelling, skipping or putting off a planned visit: answered with the app's "keep your appointment"
# text, never by a model (a weak one answered "Urgency: Low" to whether a visit could be dropped).
_SKIP_CARE = (
    r"\b(?:cancel|skip|postpone|delay|put\s+off|drop|miss|push\s+back|call\s+off|not\s+(?:go|bother\s+going)\s+to)\b"
    r"[^.?!]{0,30}\b(?:appointments?|visits?|consultations?|check-?ups?|referrals?|dermatologist|doctor|gp|clinic)\b"
    r"|\b(?:no\s+need|don'?t\s+(?:really\s+)?need|do\s+not\s+need|not\s+necessary)\s+to\s+(?:go|see|keep)\b",
    r"\b(?:cancelar|anular|saltarme|posponer|aplazar|retrasar|faltar\s+a|no\s+ir\s+a)\b[^.?!]{0,30}\b(?:cita|consulta|visita|dermatolog\w*|medico)\b",
    r"\b(?:annuler|sauter|reporter|repousser|decaler|manquer|ne\s+pas\s+aller\s+a)\b[^.?!]{0,30}\b(?:rendez-vous|rdv|consultation|visite|dermatolog\w*|medecin)\b",
    r"\btermin\w*\b[^.?!]{0,40}\b(?:absagen|verschieben|ausfallen|stornieren|sausen\s+lassen|schwanzen)\b"
    r"|\b(?:absagen|verschieben|stornieren)\b[^.?!]{0,30}\btermin",
    r"\b(?:annullare|disdire|saltare|rimandare|posticipare|spostare|non\s+andare\s+a)\b[^.?!]{0,30}\b(?:appuntamento|visita|dermatolog\w*|medico)\b",
    r"\b(?:cancelar|desmarcar|faltar\s+a|adiar|saltar|nao\s+ir\s+a)\b[^.?!]{0,30}\b(?:consulta|marcacao|visita|dermatolog\w*|medico)\b",
)

# "yes or no" counts as a diagnosis request only about a condition ("should I see a doctor, yes or no?" is fine).
_YES_NO = r"\byes\s+or\s+no\b|\byes/no\b|\bsi\s+o\s+no\b|\boui\s+ou\s+non\b|\bja\s+oder\s+nein\b|\bsim\s+ou\s+nao\b"
_YES_NO_ABOUT = rf"{_COND}|\b(?:dangerous|serious|deadly|fatal)\b"

# Off-topic: "strong" requests are off-topic whatever else the message says; "weak" words only when the
# message has no skin vocabulary ("is the sun strong in this weather?" stays in scope).
_OFF_TOPIC_STRONG = (
    r"\b(?:recipes?|cooking|baking)\b|\bhow\s+(?:do\s+i|to)\s+(?:cook|bake)\b|\bhomework\b"
    r"|\b(?:write|generate|fix|debug)\s+(?:me\s+)?(?:a\s+|an\s+|some\s+|the\s+|this\s+|my\s+)?(?:\w+\s+)?"
    r"(?:code|program|script|function|essay|poem|story|song|cover\s+letter|email|tweet)\b|\btell\s+me\s+a\s+joke\b",
    # es, fr, de, it, pt: write me a poem, an e-mail, some code; tell me a joke
    r"\b(?:escrib\w*|redact\w*)\b[^.?!]{0,25}\b(?:poema|poesia|cancion|cuento|redaccion|ensayo|correo|e-?mail|codigo|programa)\b"
    r"|\bcuentame\s+un\s+chiste\b",
    r"\b(?:ecri\w*|redig\w*)\b[^.?!]{0,25}\b(?:poeme|poesie|chanson|dissertation|e-?mail|mail|courriel|code|programme)\b"
    r"|\braconte[sz]?(?:-|\s+)moi\s+une\s+blague\b",
    r"\b(?:schreib\w*|verfass\w*)\b[^.?!]{0,25}\b(?:gedicht|lied|songtext|aufsatz|e-?mail|mail|code|programm)\b"
    r"|\berzahl\w*\s+(?:mir\s+)?(?:bitte\s+)?einen\s+witz\b",
    r"\b(?:scriv\w*|redig\w*)\b[^.?!]{0,25}\b(?:poesia|poema|canzone|tema|e-?mail|mail|codice|programma)\b"
    r"|\braccont\w*\s+una\s+barzelletta\b",
    r"\b(?:escrev\w*|redig\w*|redij\w*)\b[^.?!]{0,25}\b(?:poema|poesia|cancao|redacao|e-?mail|codigo|programa)\b"
    r"|\bconta(?:-me|\s+me)?\s+uma\s+piada\b",
)
_OFF_TOPIC_WEAK = (
    r"\b(?:python|javascript|typescript|java|sql|html|css|regex|docker|kubernetes|compiler|algorithm|excel|spreadsheet|planilha"
    r"|tableur|powerpoint|parliament|councillor|politics|parlamento|parlement)\b"
    r"|\b(?:weather|forecast|rain|snow)\b|\b(?:maths?|mathematics|equation|calculus|algebra|essay)\b"
    r"|\b(?:joke|poem|song|lyrics|movie|film|series|football|soccer|basketball|stocks?|bitcoin|crypto|election"
    r"|president|capital\s+of|translate|horoscope|lottery|restaurant|hotel|flight|vacation|diet|lose\s+weight"
    r"|bike|bicycle|tyres?|tires?|puncture|car|heartburn|mortgage|taxes|stomach|cramp\w*|headaches?|toothache|cough\w*"
    # other health complaints, about other parts of the body (a skin word anywhere keeps it in scope)
    r"|knees?|throat|back\s+pain|backache|back\s+(?:has\s+been\s+|is\s+|keeps\s+)?aching|tooth|teeth|belly|tummy|earache"
    r"|migraine|sprain\w*|flu|blockchain|movies?|films?)\b"
    r"|\b(?:rodilla|garganta|tos|espalda|muelas?|dientes?|barriga|estomago|genou|gorge|toux|mal\s+au\s+dos|dents?|ventre|estomac"
    r"|knie|hals\w*|husten|rucken\w*|zahn\w*|bauch\w*|magen\w*|ginocchio|gola|tosse|schiena|denti|pancia|stomaco"
    r"|joelho|costas|dentes?|azia|ardor\s+de\s+estomago|sodbrennen|pelicula|filme|fahrrad\w*"
    r"|serie|series|gedicht|poema|poeme|poesia|chiste|blague|witz|barzelletta|piada|futbol|fussball\w*|calcio|futebol)\b"
    r"|\b(?:dieta|regime|diat|abnehmen|perder\s+\d+\s+(?:kilos?|quilos?)|perdre\s+\d+\s+kilos|perdere\s+\d+\s+chili"
    r"|bicicleta|bici|velo|fahrrad|rueda\s+pinchada|pneu|\w*reifen|gomma\s+bucata|pneu\s+furado|sodbrennen|acidez|bruciore\s+di\s+stomaco"
    r"|travel|trip|itinerary|viaje|voyage|reise\w*|viaggio|viagem|que\s+ver\s+en|que\s+visiter|cosa\s+vedere|o\s+que\s+visitar"
    r"|train\s+strike|huelga|greve|streik|bahnstreik|sciopero|kundigung|vertrag|contrato|contrat|contratto|bewerbung|lebenslauf)\b"
    r"|\b(?:receta\s+de|receita\s+de|cocinar|clima|deberes|tarea|recette|cuisiner|meteo|devoirs|rezept|kochen|wetter"
    r"|hausaufgabe\w*|ricetta|cucinare|compiti|cozinhar|previsao\s+do\s+tempo|dever\s+de\s+casa|licao\s+de\s+casa)\b",
)
_SKIN_WORDS = (
    r"\b(?:skin|spots?|moles?|lesions?|freckles?|melanoma|cancer|tumou?r|carcinoma|nev(?:us|i)|naev(?:us|i)|kerato\w*"
    r"|dermatofibroma|angioma|vascular|rash|bleed\w*|itch\w*|sun\w*|spf|uv|tan|tanning|burn|derma\w*|doctor|gp"
    r"|biopsy|result|report|image|photo|picture|confidence|percent\w*|abcde|screening|urgen\w*|worried|worry"
    r"|piel|lunar(?:es)?|manchas?|pecas?|medico|dermatolog\w*|sol|protector|peau|grains?\s+de\s+beaute|taches?|medecin|soleil"
    r"|haut|muttermal\w*|leberfleck\w*|fleck\w*|arzt|sonne|pelle|neo|nei|macchi[ae]|sole|pele|pintas?|sina(?:l|is)"
    r"|fotos?|photos?|fotografia\w*|bild(?:er)?)\b|%"
)
# Sunscreen advice is prevention, not a prescription ("which sunscreen should I use?").
_SUNSCREEN = r"\b(?:sun\s*screens?|sun\s*blocks?|sun\s*cream|spf|protector\s+solar|creme\s+solaire|sonnencreme|crema\s+solare|protetor\s+solar)\b"

# Hypothetical or negated framing just before a red-flag phrase (same sentence).
_HYPOTHETICAL = re.compile(
    r"(?:(?<!even )\bif\b|\bwhat\s+if\b|\bin\s+case\b|\bshould\s+it\b|\bsuppose\b|\bunless\b|\bwhen\s+should\b"
    r"|\by\s+si\b|\ben\s+caso\b|\bque\s+(?:pasa|hago|hacer|faco|acontece)\s+s[ei]\b|\bet\s+si\b|\bau\s+cas\s+ou\b"
    r"|\bque\s+faire\s+si\b|\bsi\s+jamais\b|\bfalls\b|\bwas\s+(?:tun|mache\s+ich|ist),?\s+wenn\b|\be\s+se\b"
    r"|\bnel\s+caso\b|\bse\s+dovesse\b|\bcosa\s+(?:faccio|succede)\s+se\b|\bem\s+caso\b)"
)
_NEGATED = re.compile(
    r"(?:\bnot|n't|\bnever|\bno|\bno\s+longer|\bnicht|\bkein\w*|\bpas|\bnon|\bnao|\bnunca|\bjamais|\bmai)\s+(?:\w+\s+){0,2}$"
)

# Folk remedies put on a spot to make it go ("garlic under a plaster", "celandine juice"), with a spot named.
_FOLK_REMEDY = (
    r"\b(?:celandine|chelidonium|garlic|fig\s+(?:milk|sap|latex)|banana\s+peel|toothpaste|nail\s+polish|duct\s+tape"
    r"|castor\s+oil|lemon\s+juice|baking\s+soda|iodine|chelidoine|celidonia|schollkraut\w*|ajo|ail|knoblauch|aglio|alho"
    r"|leche\s+de\s+(?:la\s+)?higuera|lait\s+de\s+figuier|feigenmilch|lattice\s+di\s+fico|leite\s+de\s+figueira"
    r"|pasta\s+de\s+dientes|dentifrice|zahnpasta|dentifricio|pasta\s+de\s+dentes|ricino|rizinus\w*|bicarbonato|natron)\b"
)
_LESION = (
    r"\b(?:moles?|warts?|spots?|skin\s+tags?|lunar(?:es)?|verrugas?|manchas?|grains?\s+de\s+beaute|verrues?|taches?"
    r"|muttermal\w*|warzen?|fleck\w*|nei|neo|porri|porro|verruch[ea]|macchi[ae]|sina(?:l|is)|pintas?)\b"
)

_RULES: tuple[_Rule, ...] = (
    *[(Route.SELF_HARM, "self_harm", (p,), False) for p in _SELF_HARM_PATTERNS],
    *[(Route.EMERGENCY, cat, (p,), True) for cat, ps in _EMERGENCY_PATTERNS.items() for p in ps],
    (Route.EMERGENCY, "fever_rash", (_FEVER, _RASH), True),
    (Route.EMERGENCY, "fever_rash", (_STREAKS,), True),
    *[(Route.DECLINE, "jailbreak", (p,), False) for p in _JAILBREAK],
    (Route.DECLINE, "self_treatment", (_FOLK_REMEDY, _LESION), False),
    *[(Route.DECLINE, "dose", (p,), False) for p in _DOSE],
    *[(Route.DECLINE, "prescription", (p,), False) for p in _PRESCRIPTION],
    *[(Route.DECLINE, "self_treatment", (p,), False) for p in _SELF_TREATMENT],
    *[(Route.DECLINE, "diagnosis", (p,), False) for p in _DIAGNOSIS],
    (Route.DECLINE, "diagnosis", (_YES_NO, _YES_NO_ABOUT), False),
    *[(Route.IN_SCOPE, "skip_care", (p,), False) for p in _SKIP_CARE],
    *[(Route.OFF_TOPIC, "off_topic", (p,), False) for p in _OFF_TOPIC_STRONG],
)
# Each has its line before the emergency reply: emergency_lead.<category>.
EMERGENCY_CATEGORIES = tuple(dict.fromkeys(cat for route, cat, _, _ in _RULES if route is Route.EMERGENCY))
_COMPILED = tuple((route, cat, tuple(re.compile(p) for p in pats), guarded) for route, cat, pats, guarded in _RULES)
_OFF_TOPIC_WEAK_RE = tuple(re.compile(p) for p in _OFF_TOPIC_WEAK)
_SKIN_RE = re.compile(_SKIN_WORDS)
_SUNSCREEN_RE = re.compile(_SUNSCREEN)
_DRUG_OR_AMOUNT_RE = re.compile(rf"(?<![\w-])(?:{_DRUG_NAMES})(?![\w-])|\b\d+(?:[.,]\d+)?\s?(?:mg|mcg|ml|iu)\b")


def _framed_away(text: str, m: re.Match[str]) -> bool:
    """Is this match hypothetical or negated within its sentence?"""
    sentence_start = max(text.rfind(c, 0, m.start()) for c in ".!?\n;") + 1
    before = text[sentence_start : m.start()]
    return bool(_HYPOTHETICAL.search(before) or _NEGATED.search(before))


def _fires(text: str, patterns: tuple[re.Pattern[str], ...], guarded: bool) -> bool:
    first = [m for m in patterns[0].finditer(text) if not (guarded and _framed_away(text, m))]
    return bool(first) and all(p.search(text) for p in patterns[1:])


def check_rules(text: str) -> Verdict:
    """The deterministic layer alone. Order matters: safety first (self-harm, then red flags), then what
    we decline, then off-topic; everything else is IN_SCOPE."""
    norm = normalise(text)
    language = detect_language(text)
    sunscreen_only = bool(_SUNSCREEN_RE.search(norm)) and not _DRUG_OR_AMOUNT_RE.search(norm)
    for route, category, patterns, guarded in _COMPILED:
        if sunscreen_only and category in ("prescription", "dose"):
            continue
        if _fires(norm, patterns, guarded):
            return Verdict(route=route, category=category, language=language, layer="rules")
    if any(p.search(norm) for p in _OFF_TOPIC_WEAK_RE) and not _SKIN_RE.search(norm):
        return Verdict(route=Route.OFF_TOPIC, category="off_topic", language=language, layer="rules")
    return Verdict(route=Route.IN_SCOPE, category="question", language=language)


# ---------------------------------------------------------------- fixed replies


