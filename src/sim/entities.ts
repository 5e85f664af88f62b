import { NameBook, slug } from "./names.js";
import { intBetween, pick, rngFor, type Rng } from "../core/random.js";

/** An invented country: its capital is the fact lookup questions ask for; its largest city is the lure. */
export interface Country {
  name: string;
  capital: string;
  largestCity: string;
  region: string;
  river: string;
  populationMillions: number;
  docId: string;
  cityDocId: string;
}

export interface Person {
  name: string;
  birthYear: number;
  birthplace: string;
  role: "founder" | "investor";
  docId: string;
}

/** An invented company: two-hop questions ask for its founder's birth year; its backer is the lure. */
export interface Company {
  name: string;
  industry: string;
  foundedYear: number;
  headquarters: string;
  founder: Person;
  investor: Person;
  docId: string;
}

export interface Entities {
  countries: Country[];
  companies: Company[];
}

const REGIONS = ["northern", "southern", "eastern", "western", "central", "coastal", "highland", "island"];
const INDUSTRIES = [
  "logistics",
  "textile",
  "software",
  "shipbuilding",
  "solar energy",
  "robotics",
  "food processing",
  "mining",
];

function person(rng: Rng, names: NameBook, role: Person["role"], born: [number, number], birthplace: string): Person {
  const name = names.draw("person");
  return { name, birthYear: intBetween(rng, born[0], born[1]), birthplace, role, docId: `person/${slug(name)}` };
}

/** Generate the entities of a world: `countries` countries and `companies` companies (each with two people). */
export function generateEntities(seed: number, countries: number, companies: number): Entities {
  const rng = rngFor(seed, "entities");
  const names = new NameBook(rngFor(seed, "names"));
  const cs: Country[] = [];
  for (let i = 0; i < countries; i++) {
    const name = names.draw("country");
    const capital = names.draw("city");
    const largestCity = names.draw("city");
    cs.push({
      name,
      capital,
      largestCity,
      region: pick(rng, REGIONS),
      river: names.draw("place"),
      populationMillions: intBetween(rng, 1, 90),
      docId: `country/${slug(name)}`,
      cityDocId: `city/${slug(largestCity)}`,
    });
  }
  const cos: Company[] = [];
  for (let i = 0; i < companies; i++) {
    const name = names.draw("company");
    const foundedYear = intBetween(rng, 1890, 2015);
    const hq = pick(rng, cs);
    const founder = person(rng, names, "founder", [foundedYear - 60, foundedYear - 22], pick(rng, cs).capital);
    const investor = person(rng, names, "investor", [foundedYear - 70, foundedYear - 30], pick(rng, cs).largestCity);
    cos.push({
      name,
      industry: pick(rng, INDUSTRIES),
      foundedYear,
      headquarters: hq.capital,
      founder,
      investor,
      docId: `company/${slug(name)}`,
    });
  }
  return { countries: cs, companies: cos };
}
