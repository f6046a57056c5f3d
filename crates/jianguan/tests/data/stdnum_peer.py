#!/usr/bin/env python3
"""Peer of jianguan's identifier checks: python-stdnum's cn.ric and cn.uscc.

Reads lines `ric CODE` or `uscc CODE` on stdin and answers one line each:
  ric:  VALID CORE PLACE  (1/0: stdnum.cn.ric.is_valid; length, digits, check
        digit and a real date; the address code known to stdnum for the birth year)
  uscc: VALID             (stdnum.cn.uscc.is_valid)
With the argument `places`, prints the address codes stdnum knows for every year.
"""
import os
import sys

from stdnum.cn import ric, uscc


def places():
    path = os.path.join(os.path.dirname(ric.__file__), 'loc.dat')
    province = None
    with open(path, encoding='utf-8') as lines:
        for line in lines:
            if line.startswith('#') or not line.strip():
                continue
            code, _, props = line.strip().partition(' ')
            if not line.startswith(' '):
                province = code
            elif len(code) == 4 and 'county="' in props:
                county = props.split('county="', 1)[1].split('"', 1)[0]
                if not county.split(',')[0].startswith('['):
                    yield province + code


def ric_answer(code):
    valid = ric.is_valid(code)
    core = place = False
    try:
        number = ric.compact(code)
        core = (len(number) == 18 and number[:-1].isdigit() and number[:-1].isascii()
                and number[-1] == ric.calc_check_digit(number))
        if core:
            ric.get_birth_date(number)
            try:
                ric.get_birth_place(number)
                place = True
            except Exception:  # stdnum raises KeyError for a province without its county
                place = False
    except Exception:
        core = False
    return '%d %d %d' % (valid, core, place)


def main():
    if sys.argv[1:] == ['places']:
        for code in places():
            print(code)
        return
    out = []
    for line in sys.stdin:
        kind, _, code = line.rstrip('\n').partition(' ')
        if kind == 'ric':
            try:
                out.append(ric_answer(code))
            except Exception:
                out.append('0 0 0')
        else:
            out.append('%d' % uscc.is_valid(code))
    sys.stdout.write('\n'.join(out) + '\n')


main()
