"""Generic person records in the style of splink's fake_1000 (first name,
surname, date of birth, city, email; typing slips, transposed letters,
missing values, swapped names, nicknames, a moved town), with the true
person in `cluster`: a set no tafteesh setting was written from, for the
generic linkage settings (schemas/linkage/generic.toml).

    python3 scripts/generic_people.py SEED        # writes people.csv here
    python3 -m venv /tmp/splinkenv && /tmp/splinkenv/bin/pip install splink
    /tmp/splinkenv/bin/python scripts/splink_generic_people.py people.csv

Map it as a data officer would: survivor_ref = unique_id, date_of_birth =
dob (date_format "%Y-%m-%d"), village = city, other_identifier = email,
full_name joined from first_name and surname; `defaults = "generic"`.
"""
import random, csv, string
random.seed(int(__import__('sys').argv[1]) if len(__import__('sys').argv) > 1 else 1)
first = ["oliver","george","harry","jack","jacob","noah","charlie","thomas","oscar","william","james","leo","alfie","henry","joshua","freddie","archie","ethan","isaac","alexander","olivia","amelia","isla","ava","emily","sophia","grace","mia","poppy","ella","lily","evie","isabella","sophie","ivy","freya","harper","willow","charlotte","jessica","daisy","alice","florence","sienna","matilda","evelyn","elsie","rosie","ruby","millie"]
nick = {"william":"bill","thomas":"tom","james":"jim","alexander":"alex","joshua":"josh","charlotte":"lottie","jessica":"jess","isabella":"bella","matilda":"tilly","henry":"harry","oliver":"ollie","sophia":"sophie"}
sur = ["smith","jones","taylor","brown","williams","wilson","johnson","davies","robinson","wright","thompson","evans","walker","white","roberts","green","hall","wood","jackson","clarke","patel","khan","lewis","james","phillips","mason","mitchell","rose","davis","rodriguez","cox","alexander","morgan","moore","king","hill","ward","turner","baker","harris","scott","cooper","edwards","hughes","price","murray","bell","watson","shaw","gray"]
cities = ["london","birmingham","manchester","leeds","liverpool","bristol","sheffield","leicester","coventry","bradford","nottingham","hull","plymouth","derby","stoke","wolverhampton","southampton","reading","luton","york"]
def typo(w):
    if len(w) < 3: return w
    i = random.randrange(1, len(w)); op = random.random()
    if op < 0.3: return w[:i] + random.choice(string.ascii_lowercase) + w[i+1:]
    if op < 0.55: return w[:i] + w[i+1:]
    if op < 0.8 and i < len(w) - 1: return w[:i] + w[i+1] + w[i] + w[i+2:]
    return w[:i] + w[i] + w[i:]
rows = []
n_people = 250
for p in range(n_people):
    f, s = random.choice(first), random.choice(sur)
    dob = f"{random.randint(1940,2010)}-{random.randint(1,12):02d}-{random.randint(1,28):02d}"
    city = random.choice(cities)
    email = f"{f}{s[0]}{random.randint(1,99)}@{random.choice(['gmail.com','hotmail.com','yahoo.co.uk'])}" if random.random() < 0.8 else ""
    for k in range(random.choice([1,2,3,4,5,6])):
        rf, rs, rd, rc, re = f, s, dob, city, email
        if k > 0:
            if random.random() < 0.25: rf = typo(rf)
            if random.random() < 0.15: rs = typo(rs)
            if random.random() < 0.1 and f in nick: rf = nick[f]
            if random.random() < 0.05: rf, rs = rs, rf
            if random.random() < 0.15: rd = rd[:-1] + str(random.randint(0,9)) if rd[-1] != '0' else rd
            if random.random() < 0.05: y,m,d = rd.split('-'); rd = f"{y}-{d}-{m}" if int(d) <= 12 else rd
            if random.random() < 0.1: rd = f"{int(rd[:4]) + random.choice([-1,1])}{rd[4:]}"
            if random.random() < 0.1: re = typo(re) if re else re
            if random.random() < 0.2: rc = random.choice(cities)
        if random.random() < 0.1: rf = ""
        if random.random() < 0.1: rs = ""
        if random.random() < 0.15: rd = ""
        if random.random() < 0.2: rc = ""
        if random.random() < 0.2: re = ""
        rows.append([f"r{len(rows)}", rf, rs, rd, rc, re, p])
random.shuffle(rows)
with open("people.csv","w",newline="") as fh:
    w = csv.writer(fh); w.writerow(["unique_id","first_name","surname","dob","city","email","cluster"]); w.writerows(rows)
print(len(rows), "records")
