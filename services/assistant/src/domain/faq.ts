// The shop's FAQ: a Markdown file cut into sections at its headings, matched to questions by their words.
import { STOPWORDS, terms } from './text.js';

export interface FaqSection {
  /** the heading, without the #s */
  title: string;
  /** the text under it, Markdown kept as written */
  body: string;
  titleTerms: ReadonlySet<string>;
  bodyTerms: ReadonlySet<string>;
}

export interface Faq {
  sections: FaqSection[];
  /** documents containing each term, for weighting */
  df: Map<string, number>;
}

/** Cuts Markdown at `#`..`###` headings; text before the first heading is ignored. */
export function parseFaq(markdown: string): Faq {
  const sections: FaqSection[] = [];
  let title: string | undefined;
  let body: string[] = [];
  const flush = () => {
    const text = body.join('\n').trim();
    if (title && text) {
      sections.push({
        title,
        body: text,
        titleTerms: new Set(contentTerms(title)),
        bodyTerms: new Set(contentTerms(text)),
      });
    }
  };
  for (const line of markdown.split(/\r?\n/)) {
    const heading = /^#{1,3}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      title = (heading[1] as string).trim();
      body = [];
    } else {
      body.push(line);
    }
  }
  flush();
  const df = new Map<string, number>();
  for (const s of sections) for (const t of new Set([...s.titleTerms, ...s.bodyTerms])) df.set(t, (df.get(t) ?? 0) + 1);
  return { sections, df };
}

function contentTerms(text: string): string[] {
  return terms(text).filter((t) => !STOPWORDS.has(t) && t.length > 1);
}

export interface FaqMatch {
  section: FaqSection;
  /** 0..1: share of the question's weighted words found (title words count double) */
  score: number;
}

/** The sections best matching a question by words, best first. */
export function matchFaq(faq: Faq, question: string, limit = 3): FaqMatch[] {
  const q = [...new Set(contentTerms(question))];
  if (q.length === 0 || faq.sections.length === 0) return [];
  const n = faq.sections.length;
  const weight = (t: string) => Math.log(1 + (n + 1) / ((faq.df.get(t) ?? 0) + 0.5));
  const total = q.reduce((sum, t) => sum + weight(t), 0);
  return faq.sections
    .map((section) => {
      let hit = 0;
      for (const t of q) {
        if (section.titleTerms.has(t)) hit += weight(t);
        else if (section.bodyTerms.has(t)) hit += weight(t) * 0.5;
      }
      return { section, score: total ? hit / total : 0 };
    })
    .filter((m) => m.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
}

/** Markdown as plain text for a chat bubble: links as their text, emphasis and list marks off. */
export function plainText(markdown: string, maxChars = 700): string {
  const text = markdown
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/!\[[^\]]*]\([^)]*\)/g, '')
    .replace(/\[([^\]]+)]\([^)]*\)/g, '$1')
    .replace(/[*_`]+/g, '')
    .replace(/^\s*[-+*]\s+/gm, '• ')
    .replace(/^\s*>\s?/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('\n'));
  return `${(end > maxChars / 2 ? cut.slice(0, end + 1) : cut).trim()} …`;
}
