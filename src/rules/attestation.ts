/**
 * Business and documentation items of SuperOffice's certification checklist. They are not rules (nothing is checked
 * and they never affect the verdict); the report lists them in its attestation checklist.
 */
import type { Certification, RuleDoc } from './types.ts';
import { DOC } from './docs.ts';

export interface AttestationItem {
  /** Stable ID, e.g. `BUSINESS-AGREEMENT`; never shared with a rule ID. */
  id: string;
  title: string;
  /** What the partner attests, as shown in the report's checklist. */
  requirement: string;
  /** Certification kinds the item concerns (the business and design requirements are standard-app pages). */
  certifications: readonly Certification[];
  docs: readonly RuleDoc[];
}

const STANDARD: readonly Certification[] = Object.freeze(['standard']);

export const ATTESTATION_ITEMS: readonly AttestationItem[] = Object.freeze(
  [
    {
      id: 'BUSINESS-AGREEMENT',
      title: 'Partnership agreement and sub-processor DPA signed',
      requirement:
        'A partnership agreement with SuperOffice is signed, including the sub-processor data processing agreement.',
      certifications: STANDARD,
      docs: [DOC.business],
    },
    {
      id: 'BUSINESS-VALUE',
      title: 'Clear business value',
      requirement: 'The app offers clear business value to SuperOffice customers.',
      certifications: STANDARD,
      docs: [DOC.business],
    },
    {
      id: 'BUSINESS-PRICING',
      title: 'SaaS pricing model',
      requirement: 'The app is sold with a SaaS pricing model.',
      certifications: STANDARD,
      docs: [DOC.business],
    },
    {
      id: 'BUSINESS-SUPPORT',
      title: 'Support resource assigned',
      requirement: 'A support resource is assigned to the app.',
      certifications: STANDARD,
      docs: [DOC.business],
    },
    {
      id: 'BUSINESS-DOCS',
      title: 'Installation guide, user guide and release notes',
      requirement:
        'An installation guide (when manual setup is needed), a user guide and release notes exist, in English for markets outside Scandinavia.',
      certifications: STANDARD,
      docs: [DOC.business],
    },
    {
      id: 'DESIGN-LOOK-FEEL',
      title: 'SuperOffice look and feel for embedded UI',
      requirement: 'UI embedded in SuperOffice follows the SuperOffice look and feel.',
      certifications: STANDARD,
      docs: [DOC.design],
    },
    {
      id: 'APPSTORE-LISTING',
      title: 'App Store listing assets',
      requirement: 'The App Store listing (texts, images, links, pricing and terms) is prepared.',
      certifications: STANDARD,
      docs: [DOC.appStore],
    },
  ].map((item) => Object.freeze(item)),
);
