/**
 * Which paths of a build context a .dockerignore leaves out, by Docker's rules: each pattern is a path from the
 * context's root (`*` and `?` within one segment, `**` across any number of them); a pattern that matches a
 * directory leaves out everything under it; `!` lets a path back in; the last pattern that matches decides.
 */
export interface DockerIgnore {
  excludes(path: string): boolean;
}

function patternRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      const slash = pattern[i + 2] === "/";
      re += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerIgnore(text: string): DockerIgnore {
  const rules = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const negated = l.startsWith("!");
      const body = (negated ? l.slice(1) : l).trim().replace(/^\/+/, "").replace(/\/+$/, "");
      return { negated, re: patternRegex(body) };
    });
  return {
    excludes(path) {
      const parts = path.replace(/^\/+/, "").split("/");
      // The path and each directory above it: a pattern that matches a directory takes what is under it.
      const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
      let excluded = false;
      for (const r of rules) if (prefixes.some((p) => r.re.test(p))) excluded = !r.negated;
      return excluded;
    },
  };
}
