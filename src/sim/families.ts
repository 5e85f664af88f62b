import type { Entities } from "./entities.js";
import { formatNumber, PY_FMT } from "./numbers.js";
import { intBetween, pick, type Rng } from "../core/random.js";
import { FAMILY_SPECS } from "./skills.js";
import type { Family, SimFacts, SimProgram, SimStep } from "./types.js";

/** What a family generator returns; the world adds id, split and index. */
export interface GeneratedTask {
  text: string;
  answer: string;
  numeric: boolean;
  steps: SimStep[];
  facts: SimFacts;
}

function plan(family: Family, goldDocIds: string[] = []): SimStep[] {
  const spec = FAMILY_SPECS.find((f) => f.name === family)!;
  let search = 0;
  return spec.steps.map((s) => (s.mode === "search" ? { ...s, goldDocId: goldDocIds[search++] } : { ...s }));
}

function otherThan<T>(rng: Rng, items: readonly T[], not: T): T {
  if (items.length < 2) throw new RangeError("the world needs at least two entities of each kind");
  for (;;) {
    const x = pick(rng, items);
    if (x !== not) return x;
  }
}

/** A Python program that assigns `vars` and prints `fmt(<expr>)`. */
function program(vars: Record<string, number | number[]>, body: string[], value: number): SimProgram {
  const lines = Object.entries(vars).map(([k, v]) => `${k} = ${Array.isArray(v) ? `[${v.join(", ")}]` : v}`);
  return {
    source: `${PY_FMT}${lines.join("\n")}\n${body.join("\n")}\nprint(fmt(result))\n`,
    prints: formatNumber(value),
  };
}

function capitalLookup(rng: Rng, e: Entities): GeneratedTask {
  const c = pick(rng, e.countries);
  const lure = otherThan(rng, e.countries, c);
  const text = pick(rng, [
    `What is the capital of ${c.name}?`,
    `Which city is the capital of ${c.name}?`,
    `Name the capital city of ${c.name}.`,
  ]);
  return {
    text,
    answer: c.capital,
    numeric: false,
    steps: plan("capital_lookup", [c.docId]),
    facts: {
      goodQueries: [`capital of ${c.name}`],
      wrongQueries: [`capital of ${lure.name}`],
      vagueQuery: "capital city of the country",
      numbers: [],
      buggyPrograms: [],
      wrongAnswers: [c.largestCity, lure.capital],
    },
  };
}

function founderBirthYear(rng: Rng, e: Entities): GeneratedTask {
  const co = pick(rng, e.companies);
  const lure = otherThan(rng, e.companies, co);
  const text = pick(rng, [
    `In which year was the founder of ${co.name} born?`,
    `What is the birth year of the person who founded ${co.name}?`,
  ]);
  const off = pick(rng, [-1, 1]);
  return {
    text,
    answer: String(co.founder.birthYear),
    numeric: true,
    steps: plan("founder_birth_year", [co.docId, co.founder.docId]),
    facts: {
      goodQueries: [`${co.name} founder`, `${co.founder.name} born`],
      wrongQueries: [`${lure.name} founder`, `${co.investor.name} born`],
      vagueQuery: "founder birth year",
      numbers: [],
      buggyPrograms: [],
      wrongAnswers: [
        ...new Set([String(co.investor.birthYear), String(co.foundedYear), String(co.founder.birthYear + off)]),
      ].filter((w) => w !== String(co.founder.birthYear)),
    },
  };
}

/** A word problem: its text, the variables, and the correct and buggy computations. */
interface ArithTemplate {
  draw(rng: Rng): Record<string, number>;
  text(v: Record<string, number>, who: string): string;
  /** [python expression, value]: the correct one first, then the buggy ones. */
  variants(v: Record<string, number>): [string, number][];
}

const ARITH: readonly ArithTemplate[] = [
  {
    draw: (r) => ({
      stock: intBetween(r, 120, 900),
      trucks: intBetween(r, 2, 9),
      per_truck: intBetween(r, 12, 60),
      shipped: intBetween(r, 20, 110),
    }),
    text: (v, who) =>
      `${who}'s warehouse holds ${v.stock} crates. ${v.trucks} trucks each deliver ${v.per_truck} more crates, ` +
      `then ${v.shipped} crates are shipped out. How many crates are in the warehouse now?`,
    variants: (v) => [
      ["stock + trucks * per_truck - shipped", v.stock! + v.trucks! * v.per_truck! - v.shipped!],
      ["stock + trucks * per_truck + shipped", v.stock! + v.trucks! * v.per_truck! + v.shipped!],
      ["stock + trucks + per_truck - shipped", v.stock! + v.trucks! + v.per_truck! - v.shipped!],
      ["stock + trucks * per_truck - shipped + 1", v.stock! + v.trucks! * v.per_truck! - v.shipped! + 1],
    ],
  },
  {
    draw: (r) => {
      const count = intBetween(r, 2, 12);
      const unit = intBetween(r, 2, 15);
      return { count, unit, paid: Math.ceil((count * unit + intBetween(r, 1, 40)) / 10) * 10 };
    },
    text: (v, who) =>
      `${who} buys ${v.count} notebooks at ${v.unit} dollars each and pays with ${v.paid} dollars. ` +
      `How many dollars of change does ${who} get?`,
    variants: (v) => [
      ["paid - count * unit", v.paid! - v.count! * v.unit!],
      ["paid - (count + unit)", v.paid! - (v.count! + v.unit!)],
      ["count * unit", v.count! * v.unit!],
      ["paid - count * unit - 1", v.paid! - v.count! * v.unit! - 1],
    ],
  },
  {
    draw: (r) => ({
      speed1: intBetween(r, 40, 120),
      hours1: intBetween(r, 1, 6),
      speed2: intBetween(r, 30, 110),
      hours2: intBetween(r, 1, 5),
    }),
    text: (v, who) =>
      `${who} drives at ${v.speed1} km per hour for ${v.hours1} hours, then at ${v.speed2} km per hour for ` +
      `${v.hours2} hours. How many kilometres does ${who} drive in total?`,
    variants: (v) => [
      ["speed1 * hours1 + speed2 * hours2", v.speed1! * v.hours1! + v.speed2! * v.hours2!],
      ["(speed1 + speed2) * (hours1 + hours2)", (v.speed1! + v.speed2!) * (v.hours1! + v.hours2!)],
      ["speed1 * hours1 - speed2 * hours2", v.speed1! * v.hours1! - v.speed2! * v.hours2!],
      ["speed1 * hours1 + speed2 * (hours2 + 1)", v.speed1! * v.hours1! + v.speed2! * (v.hours2! + 1)],
    ],
  },
  {
    draw: (r) => {
      const trays = intBetween(r, 3, 14);
      const per_tray = intBetween(r, 6, 24);
      return { trays, per_tray, left: intBetween(r, 1, trays * per_tray - 1) };
    },
    text: (v, who) =>
      `${who}'s bakery bakes ${v.trays} trays of ${v.per_tray} rolls each and sells all but ${v.left} rolls. ` +
      `How many rolls are sold?`,
    variants: (v) => [
      ["trays * per_tray - left", v.trays! * v.per_tray! - v.left!],
      ["trays * per_tray + left", v.trays! * v.per_tray! + v.left!],
      ["trays + per_tray - left", v.trays! + v.per_tray! - v.left!],
      ["trays * per_tray - left - 1", v.trays! * v.per_tray! - v.left! - 1],
    ],
  },
];

function arithmetic(rng: Rng, e: Entities): GeneratedTask {
  const t = pick(rng, ARITH);
  const v = t.draw(rng);
  const who = pick(rng, e.companies).founder.name.split(" ")[0]!;
  const [correct, ...buggy] = t.variants(v).map(([expr, value]) => program(v, [`result = ${expr}`], value));
  const answer = correct!.prints;
  return {
    text: t.text(v, who),
    answer,
    numeric: true,
    steps: plan("arithmetic"),
    facts: {
      goodQueries: [],
      wrongQueries: [],
      vagueQuery: t.text(v, who),
      numbers: Object.values(v),
      program: correct,
      buggyPrograms: buggy,
      wrongAnswers: buggy.map((b) => b.prints).filter((p) => p !== answer),
    },
  };
}

function median(values: number[], sort = true): number {
  const s = sort ? [...values].sort((a, b) => a - b) : values;
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

const MEDIAN_BODY = (sorted: boolean, shift = 0) => [
  `s = ${sorted ? "sorted(values)" : "values"}`,
  "n = len(s)",
  `result = s[n // 2 + ${shift}] if n % 2 else (s[n // 2 - 1 + ${shift}] + s[n // 2 + ${shift}]) / 2`,
];

function statistics(rng: Rng, e: Entities): GeneratedTask {
  // 4, 5 or 10 values: every mean and median then has at most 2 decimals, so no rounding rule can differ.
  const n = pick(rng, [4, 5, 10]);
  const values = Array.from({ length: n }, () => intBetween(rng, 5, 400));
  const kind = pick(rng, ["mean", "median"] as const);
  const place = `${pick(rng, e.countries).largestCity} museum`;
  const sum = values.reduce((a, b) => a + b, 0);
  const vars = { values };
  let correct: SimProgram;
  let buggy: SimProgram[];
  if (kind === "mean") {
    correct = program(vars, ["result = sum(values) / len(values)"], sum / n);
    buggy = [
      program(vars, ["result = sum(values) / (len(values) - 1)"], sum / (n - 1)),
      program(vars, ["result = sum(values[1:]) / len(values)"], (sum - values[0]!) / n),
    ];
  } else {
    correct = program(vars, MEDIAN_BODY(true), median(values));
    const sorted = [...values].sort((a, b) => a - b);
    const shifted = n % 2 ? sorted[(n - 1) / 2 + 1]! : (sorted[n / 2]! + sorted[n / 2 + 1]!) / 2;
    buggy = [program(vars, MEDIAN_BODY(false), median(values, false)), program(vars, MEDIAN_BODY(true, 1), shifted)];
  }
  const text =
    `The daily visitor counts at the ${place} over ${n} days were ${values.join(", ")}. ` +
    `What was the ${kind} number of visitors per day?`;
  const wrong = [...buggy.map((b) => b.prints), formatNumber(kind === "mean" ? median(values) : sum / n)];
  return {
    text,
    answer: correct.prints,
    numeric: true,
    steps: plan("statistics"),
    facts: {
      goodQueries: [],
      wrongQueries: [],
      vagueQuery: text,
      numbers: values,
      program: correct,
      buggyPrograms: buggy,
      wrongAnswers: [...new Set(wrong)].filter((p) => p !== correct.prints),
    },
  };
}

/** General knowledge: [question, answer, plausible wrong answers]. */
const DEFINITIONS: readonly [string, string, string[]][] = [
  ["What is a young cat called?", "kitten", ["cub", "puppy"]],
  ["What is a young dog called?", "puppy", ["kitten", "cub"]],
  ["What is a young cow called?", "calf", ["foal", "lamb"]],
  ["What is a young horse called?", "foal", ["calf", "colt"]],
  ["What is a young sheep called?", "lamb", ["kid", "calf"]],
  ["What is a young swan called?", "cygnet", ["gosling", "duckling"]],
  ["What is a young kangaroo called?", "joey", ["kit", "cub"]],
  ["What is a young frog called?", "tadpole", ["froglet", "larva"]],
  ["What is a young goose called?", "gosling", ["cygnet", "duckling"]],
  ["What is a young deer called?", "fawn", ["calf", "kid"]],
  ["Which colour do you get by mixing blue and yellow paint?", "green", ["orange", "purple"]],
  ["Which colour do you get by mixing red and yellow paint?", "orange", ["brown", "green"]],
  ["Which colour do you get by mixing red and blue paint?", "purple", ["green", "brown"]],
  ["Which colour do you get by mixing red and white paint?", "pink", ["orange", "purple"]],
  ["What is frozen water called?", "ice", ["snow", "frost"]],
  ["Which organ pumps blood through the body?", "heart", ["lungs", "liver"]],
  ["Which gas do plants take from the air to make their food?", "carbon dioxide", ["oxygen", "nitrogen"]],
  ["What do bees make from nectar?", "honey", ["wax", "pollen"]],
  ["What is the opposite of ancient?", "modern", ["old", "recent"]],
  ["What is the opposite of generous?", "stingy", ["kind", "greedy"]],
  ["Which tool is used to measure temperature?", "thermometer", ["barometer", "ruler"]],
  ["Which instrument is used to look at distant stars?", "telescope", ["microscope", "periscope"]],
  ["What do you call a word that means the same as another word?", "synonym", ["antonym", "homonym"]],
  ["What is the largest planet of the solar system?", "Jupiter", ["Saturn", "Neptune"]],
];

function definition(rng: Rng): GeneratedTask {
  const [text, answer, wrong] = pick(rng, DEFINITIONS);
  return {
    text,
    answer,
    numeric: false,
    steps: plan("definition"),
    facts: { goodQueries: [], wrongQueries: [], vagueQuery: text, numbers: [], buggyPrograms: [], wrongAnswers: wrong },
  };
}

/** [from unit, to unit, factor]. */
const UNITS: readonly [string, string, number][] = [
  ["kilometres", "metres", 1000],
  ["metres", "centimetres", 100],
  ["kilograms", "grams", 1000],
  ["litres", "millilitres", 1000],
  ["hours", "minutes", 60],
  ["minutes", "seconds", 60],
  ["centimetres", "millimetres", 10],
];

function unitConversion(rng: Rng): GeneratedTask {
  const [from, to, factor] = pick(rng, UNITS);
  const x = pick(rng, [intBetween(rng, 2, 40), intBetween(rng, 2, 40) + 0.5, intBetween(rng, 1, 9) + 0.25]);
  const answer = formatNumber(x * factor);
  const wrong = [x * (factor === 1000 ? 100 : factor === 60 ? 100 : factor * 10), x * factor * 10, x / factor].map(
    formatNumber,
  );
  return {
    text: `How many ${to} are in ${formatNumber(x)} ${from}?`,
    answer,
    numeric: true,
    steps: plan("unit_conversion"),
    facts: {
      goodQueries: [],
      wrongQueries: [],
      vagueQuery: `${from} to ${to}`,
      numbers: [x],
      buggyPrograms: [],
      wrongAnswers: [...new Set(wrong)].filter((w) => w !== answer),
    },
  };
}

export const GENERATORS: Record<Family, (rng: Rng, e: Entities) => GeneratedTask> = {
  capital_lookup: capitalLookup,
  founder_birth_year: founderBirthYear,
  arithmetic,
  statistics,
  definition: (rng) => definition(rng),
  unit_conversion: (rng) => unitConversion(rng),
};
