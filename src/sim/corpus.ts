import type { Entities } from "./entities.js";
import { pick, rngFor, shuffled } from "../core/random.js";

/** One document of the world's corpus (the shape the local search index takes). */
export interface CorpusDoc {
  id: string;
  title: string;
  text: string;
}

/**
 * The world's corpus: one document per country (holding its capital), one per largest city (a lure naming the
 * country), one per company (naming its founder and its backer), one per person (holding the birth year), and
 * travel notes that name several countries but no capital. Sorted by id.
 */
export function generateCorpus(seed: number, entities: Entities, notes: number): CorpusDoc[] {
  const rng = rngFor(seed, "corpus");
  const docs: CorpusDoc[] = [];
  for (const c of entities.countries) {
    docs.push({
      id: c.docId,
      title: c.name,
      text:
        `${c.name} is a country in the ${c.region} part of the continent, home to about ${c.populationMillions} million people. ` +
        `The capital of ${c.name} is ${c.capital}, seat of its parliament. ` +
        `Its largest city is ${c.largestCity}, and the ${c.river} river crosses the country from north to south.`,
    });
    docs.push({
      id: c.cityDocId,
      title: c.largestCity,
      text:
        `${c.largestCity} is the largest city of ${c.name} and its busiest port on the ${c.river} river. ` +
        `Many visitors mistake ${c.largestCity} for the capital city; it hosts the national museum and the stock exchange.`,
    });
  }
  for (const co of entities.companies) {
    docs.push({
      id: co.docId,
      title: co.name,
      text:
        `${co.name} is a ${co.industry} company headquartered in ${co.headquarters}. ` +
        `It was founded in ${co.foundedYear} by ${co.founder.name}. ` +
        `The early investor ${co.investor.name} backed the company in its first years.`,
    });
    for (const p of [co.founder, co.investor]) {
      docs.push({
        id: p.docId,
        title: p.name,
        text:
          p.role === "founder"
            ? `${p.name} (born ${p.birthYear} in ${p.birthplace}) is an entrepreneur, best known as the founder of ${co.name}.`
            : `${p.name} (born ${p.birthYear} in ${p.birthplace}) is an investor who backed ${co.name} and several other firms.`,
      });
    }
  }
  for (let i = 0; i < notes; i++) {
    const [a, b, c] = shuffled(rng, entities.countries);
    if (!a || !b || !c) break;
    const co = pick(rng, entities.companies);
    docs.push({
      id: `note/${String(i).padStart(3, "0")}`,
      title: `Travel notes: ${a.name} and ${b.name}`,
      text:
        `A traveller crossing from ${a.name} into ${b.name} finds the food spicier and the trains slower. ` +
        `Guides recommend the capital city markets and a detour to ${c.name}. ` +
        `Founders of firms such as ${co.name} often started in small workshops; their birth year is rarely remembered.`,
    });
  }
  return docs.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}
