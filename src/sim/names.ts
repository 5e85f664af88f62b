import { intBetween, pick, type Rng } from "../core/random.js";

/** Syllables of the invented names of the simulated world (no real place, company or person is named). */
const ONSETS = [
  "b",
  "d",
  "f",
  "g",
  "k",
  "l",
  "m",
  "n",
  "p",
  "r",
  "s",
  "t",
  "v",
  "z",
  "br",
  "dr",
  "kr",
  "tr",
  "th",
  "sh",
  "qu",
  "st",
];
const VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "ei", "y"];
const CODAS = ["", "", "", "n", "r", "l", "s", "m", "th", "x"];

const COUNTRY_ENDINGS = ["ia", "ora", "land", "istan", "avia", "ovia", "esh", "aria", "mark", "onia"];
const CITY_ENDINGS = ["ton", "burg", "mar", "port", "vale", "grad", "ford", "holm", "stad", "ville"];
const SURNAME_ENDINGS = ["son", "ard", "ell", "ova", "enko", "ani", "ez", "berg", "ley", "mont"];
const COMPANY_KINDS = [
  "Dynamics",
  "Labs",
  "Foundry",
  "Works",
  "Systems",
  "Robotics",
  "Analytics",
  "Textiles",
  "Energy",
  "Freight",
];

function syllable(rng: Rng): string {
  return pick(rng, ONSETS) + pick(rng, VOWELS) + pick(rng, CODAS);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function stem(rng: Rng, min: number, max: number): string {
  let s = "";
  const n = intBetween(rng, min, max);
  for (let i = 0; i < n; i++) s += syllable(rng);
  return s;
}

export const nameMakers = {
  country: (rng: Rng) => capitalise(stem(rng, 1, 2) + pick(rng, COUNTRY_ENDINGS)),
  city: (rng: Rng) => capitalise(stem(rng, 1, 2) + pick(rng, CITY_ENDINGS)),
  person: (rng: Rng) => `${capitalise(stem(rng, 1, 2))} ${capitalise(stem(rng, 1, 1) + pick(rng, SURNAME_ENDINGS))}`,
  company: (rng: Rng) => `${capitalise(stem(rng, 1, 2))} ${pick(rng, COMPANY_KINDS)}`,
  place: (rng: Rng) => capitalise(stem(rng, 2, 3)),
};

/**
 * Draws unique names: a name already given (to anything) is drawn again, so every entity of a world has its own
 * name and a query naming it finds it.
 */
export class NameBook {
  private readonly used = new Set<string>();
  constructor(private readonly rng: Rng) {}

  draw(kind: keyof typeof nameMakers): string {
    for (let i = 0; i < 1000; i++) {
      const name = nameMakers[kind](this.rng);
      const key = name.toLowerCase();
      if (this.used.has(key)) continue;
      this.used.add(key);
      return name;
    }
    throw new Error(`names: could not draw a fresh ${kind} name`);
  }
}

/** Lower-case, dash-separated form of a name for document ids. */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}
