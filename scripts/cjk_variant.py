#!/usr/bin/env python3
"""A CJK-heavy copy of a text-pair JSONL (scripts/gen_synthetic.py --kind text-jsonl), for the import benchmark.

    python3 scripts/cjk_variant.py IN.jsonl OUT.jsonl

Every Latin word of `prompt`, `chosen` and `rejected` becomes 1-3 Han or kana characters picked by the word
(the same word, the same characters: word frequencies are kept), written without spaces as Chinese and
Japanese are; `.` `,` `?` become 。、？. Other columns are copied. Standard library only.
"""
import json
import re
import sys
import zlib

HAN = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么"
       "心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将"
       "外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走"
       "电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑"
       "性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至"
       "清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫")
KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエオカキクケコサシスセソタチツテト"
POOL = HAN + KANA
WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+|[ .,?]")
PUNCT = {" ": "", ".": "。", ",": "、", "?": "？"}
cache = {}


def word(w):
    got = cache.get(w)
    if got is None:
        h = zlib.crc32(w.lower().encode())
        n = 1 + h % 3
        got = "".join(POOL[(h >> (4 + 7 * i)) % len(POOL)] for i in range(n))
        cache[w] = got
    return got


def cjk(text):
    return WORD.sub(lambda m: PUNCT.get(m.group(0)) if m.group(0) in PUNCT else word(m.group(0)), text)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8", buffering=1 << 22) as out:
        for line in f:
            row = json.loads(line)
            for key in ("prompt", "chosen", "rejected"):
                if isinstance(row.get(key), str):
                    row[key] = cjk(row[key])
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
