"""What the survey says, in each language it speaks: the one place to change its wording.

A caller whose preferences name a language (a preference `language`, or `lang`, valued e.g.
"Mandarin", "中文", "zh-CN", "Spanish", "español") is asked in it where Twilio has a voice for it;
everyone else in English. The voice is Twilio's `alice`, which speaks each of these
(<Say voice="alice" language="zh-CN">); a Polly or Google voice is one line's change here.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Wording:
    code: str  # our short code: en, zh, es
    language: str  # <Say language>
    voice: str  # <Say voice>
    question: str  # asked on the line, 0 to 10
    again: str  # said before asking a second time
    thanks: str  # a score was given
    goodbye: str  # no score after the second time, or no survey: the call ends politely
    sms_question: str
    sms_thanks: str
    sms_comment_thanks: str
    sms_no_survey: str  # a text that answers no survey


WORDINGS: dict[str, Wording] = {
    "en": Wording(
        code="en", language="en-US", voice="alice",
        question="Thank you for calling. On a scale from 0 to 10, how likely are you to recommend us to a "
                 "friend? Please press a number from 0 to 10, then the pound key.",
        again="Sorry, we did not get that.",
        thanks="Thank you for your answer. Goodbye.",
        goodbye="Thank you for calling. Goodbye.",
        sms_question="Thanks for calling us today. How likely are you to recommend us to a friend, from 0 "
                     "(not at all) to 10 (extremely)? Reply with a number. Reply STOP to opt out.",
        sms_thanks="Thank you for your answer. Reply with a comment if you would like to tell us more.",
        sms_comment_thanks="Thank you, we have passed your comment on.",
        sms_no_survey="Thank you for your message. This number does not take messages; please call us and "
                      "we will be glad to help.",
    ),
    "zh": Wording(
        code="zh", language="zh-CN", voice="alice",
        question="感谢您的来电。从0到10分，您有多大可能向朋友推荐我们？请按0到10之间的数字，然后按井号键。",
        again="抱歉，我们没有收到您的回答。",
        thanks="感谢您的回答。再见。",
        goodbye="感谢您的来电。再见。",
        sms_question="感谢您今天的来电。从0（完全不会）到10（非常愿意），您有多大可能向朋友推荐我们？请回复一个数字。回复STOP退订。",
        sms_thanks="感谢您的回答。如需补充意见，请直接回复。",
        sms_comment_thanks="谢谢，我们已转达您的意见。",
        sms_no_survey="感谢您的信息。本号码不接收短信，请致电我们，我们乐意为您服务。",
    ),
    "es": Wording(
        code="es", language="es-MX", voice="alice",
        question="Gracias por llamar. Del 0 al 10, ¿qué probabilidad hay de que nos recomiende a un amigo? "
                 "Marque un número del 0 al 10 y luego la tecla numeral.",
        again="Disculpe, no lo hemos recibido.",
        thanks="Gracias por su respuesta. Adiós.",
        goodbye="Gracias por llamar. Adiós.",
        sms_question="Gracias por llamarnos hoy. Del 0 (nada probable) al 10 (muy probable), ¿nos recomendaría "
                     "a un amigo? Responda con un número. Responda STOP para no recibir más mensajes.",
        sms_thanks="Gracias por su respuesta. Si quiere contarnos más, responda con un comentario.",
        sms_comment_thanks="Gracias, hemos transmitido su comentario.",
        sms_no_survey="Gracias por su mensaje. Este número no recibe mensajes; llámenos y con gusto le ayudaremos.",
    ),
}
DEFAULT = "en"

# Preference keys that name the caller's language, and the values that name each language we speak
# (compared without case or accents).
LANGUAGE_KEYS = frozenset({"language", "lang", "preferred language", "idioma", "语言", "語言"})
_NAMES = {
    "en": ("en", "english", "inglés", "ingles", "英语", "英文"),
    "zh": ("zh", "chinese", "mandarin", "putonghua", "cmn", "中文", "普通话", "普通話", "汉语", "漢語", "国语",
           "國語", "华语", "chino", "mandarín"),
    "es": ("es", "spanish", "español", "espanol", "castellano", "西班牙语"),
}


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_BY_NAME = {_plain(name): code for code, names in _NAMES.items() for name in names}


def language_code(value: str | None) -> str | None:
    """Our code for a language as a person wrote it ("Mandarin", "zh-CN", "Español"), or None."""
    if not value:
        return None
    plain = _plain(value)
    if plain in _BY_NAME:
        return _BY_NAME[plain]
    head = plain.replace("_", "-").split("-")[0].split(" ")[0]  # zh-CN, es_MX, "spanish please"
    return _BY_NAME.get(head)


def language_for(preferences: Iterable) -> str:
    """The language to ask a customer in, from their preferences (objects with key and value)."""
    for preference in preferences:
        if _plain(preference.key) in LANGUAGE_KEYS:
            code = language_code(preference.value)
            if code in WORDINGS:
                return code
    return DEFAULT


def wording(code: str | None) -> Wording:
    return WORDINGS.get(code or DEFAULT, WORDINGS[DEFAULT])


# --- the line (SPEC §11): what a waiting caller hears -------------------------------------------

def queue_place(position: int | None) -> str:
    """Their place in line (when known), and the callback offer."""
    place = f"You are number {position} in line. " if position else ""
    return place + "Please hold for the next agent, or press 1 and we will call you back instead."


def callback_promise(hours: int) -> str:
    """What a caller who pressed 1 is told: when to expect the call back."""
    when = "within the hour" if hours <= 1 else f"within {hours} hours"
    return f"Thank you. We will call you back on this number {when}. Goodbye."
