"""A small generated corpus for the spam classifier tests: spam and ham
from two distinct vocabularies, deterministic (a seeded random)."""
import random

SPAM_WORDS = ("viagra lottery winner casino bitcoin pills cheap offer prize claim discount "
              "guaranteed investment crypto jackpot refinance unclaimed bonus miracle replica "
              "pharmacy inheritance urgent wire transfer").split()
HAM_WORDS = ("meeting agenda project report budget lunch schedule review draft colleague "
             "minutes quarterly thanks attached notes tomorrow office planning release "
             "feedback calendar team invoice").split()


def message(kind, n, words=24):
    """Message n of kind "spam" or "ham", as text with LF line ends."""
    rnd = random.Random("%s-%d" % (kind, n))
    vocab = SPAM_WORDS if kind == "spam" else HAM_WORDS
    subject = " ".join(rnd.choice(vocab) for _ in range(3))
    body = " ".join(rnd.choice(vocab) for _ in range(words))
    sender = "offers@promo.example" if kind == "spam" else "colleague@work.example"
    return ("From: %s\nTo: user@example.org\nSubject: %s\nMessage-ID: <%s-%d@x>\n\n%s\n"
            % (sender, subject, kind, n, body))
