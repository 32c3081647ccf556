// Texts for the living demo's history (scripts/seed/history.ts). Every supporter is invented:
// first and last names are combined from the lists below by a seeded generator, and every
// address is at example.org or example.net. Messages are written for this demo.

import { DEMO_CLOSED_CAMPAIGN_SLUG } from '../../app/utils/demo-identity.ts'
import type { SeedLocale } from './content.ts'

/** Where demo signers come from, with the language they sign in and how often (weights). */
export const demoCountries: { code: string; locale: SeedLocale; weight: number }[] = [
  { code: 'DE', locale: 'de', weight: 24 },
  { code: 'US', locale: 'en', weight: 14 },
  { code: 'ES', locale: 'es', weight: 10 },
  { code: 'VE', locale: 'es', weight: 9 },
  { code: 'AT', locale: 'de', weight: 6 },
  { code: 'GB', locale: 'en', weight: 6 },
  { code: 'MX', locale: 'es', weight: 6 },
  { code: 'CH', locale: 'de', weight: 5 },
  { code: 'CO', locale: 'es', weight: 5 },
  { code: 'NL', locale: 'en', weight: 4 },
  { code: 'AR', locale: 'es', weight: 3 },
  { code: 'CA', locale: 'en', weight: 3 },
  { code: 'FR', locale: 'en', weight: 2 },
  { code: 'SV', locale: 'es', weight: 2 },
]

/** Invented names, per language of the signer. */
export const demoNames: Record<SeedLocale, { first: string[]; last: string[] }> = {
  en: {
    first: ['Avery', 'Jordan', 'Maren', 'Tobias', 'Priya', 'Callum', 'Nadia', 'Rowan', 'Imogen', 'Desmond', 'Harriet', 'Elliot', 'Sasha', 'Wren', 'Malik', 'Tamsin'],
    last: ['Whitlock', 'Penhallow', 'Ashdown', 'Greaves', 'Marlowe', 'Fairbairn', 'Okafor', 'Lindqvist', 'Thorne', 'Castellan', 'Brightwell', 'Vance', 'Hollis', 'Quarry'],
  },
  de: {
    first: ['Lena', 'Jonas', 'Mareike', 'Friedrich', 'Anouk', 'Till', 'Henrike', 'Ole', 'Svenja', 'Matthis', 'Greta', 'Kilian', 'Ilka', 'Bennet', 'Thea', 'Lorenz'],
    last: ['Wendtland', 'Oberreiter', 'Kranich', 'Haselbach', 'Lindemeyer', 'Sommerfeld', 'Brückner', 'Tannhof', 'Feldmoser', 'Achterberg', 'Rosental', 'Holzapfel', 'Wiesinger', 'Quandtmann'],
  },
  es: {
    first: ['Lucía', 'Mateo', 'Valentina', 'Joaquín', 'Ximena', 'Andrés', 'Paloma', 'Tomás', 'Renata', 'Emiliano', 'Marisol', 'Iker', 'Catalina', 'Rodrigo', 'Julieta', 'Nicanor'],
    last: ['Arrieta', 'Villalba', 'Quiroga', 'Montaño', 'Echeverri', 'Saldívar', 'Beltrán', 'Ocampo', 'Larrañaga', 'Peñalosa', 'Urquiza', 'Carrasquel', 'Ibarguen', 'Zamudio'],
  },
}

/** Messages of support, per language; a few get a reply from the team. */
export const demoMessages: Record<SeedLocale, { text: string; reply?: string }[]> = {
  en: [
    { text: 'Nobody should lose their hearing because of a tattoo that says Mum and Dad.' },
    { text: 'Thank you for staying with this story when everyone else moved on.', reply: 'Thank you. We will take your words with us on the next trip.' },
    { text: 'Due process is not optional. Signed.' },
    { text: 'My brother is a tattoo artist. This case made me sick. Keep going.' },
    { text: 'Sharing this with my union branch tonight.' },
    { text: 'Asylum is a right, not a favour. Glad Andry is home.', reply: 'So are we. The petition stays open until every removal has been reviewed.' },
    { text: 'Thank you for the reporting from El Salvador. Please keep us posted.' },
    { text: 'For every man who came back from CECOT, and for every one who has not been heard.' },
  ],
  de: [
    { text: 'Danke, dass ihr nicht lockerlasst und diesen Männern eine Stimme gebt.', reply: 'Vielen Dank! Wir bleiben dran – die nächste Recherchereise ist schon geplant.' },
    { text: 'Unfassbar, wie hier mit Menschen umgegangen wurde. Unterschrieben.' },
    { text: 'Alles Gute für Andry und seine Familie.' },
    { text: 'Ein Tattoo für die eigenen Eltern ist kein Beweis für irgendetwas.' },
    { text: 'Habe die Petition an meine ganze Familie weitergeleitet.' },
    { text: 'Solche Recherchen brauchen wir viel mehr. Danke für eure Arbeit.' },
    { text: 'Rechtsstaat heißt: erst anhören, dann entscheiden.' },
    { text: 'Unterschrieben und geteilt. Bleibt dran!' },
  ],
  es: [
    { text: 'Nadie debería ir a una cárcel extranjera por un tatuaje dedicado a sus padres.' },
    { text: 'Gracias por no soltar este caso. Un abrazo a Andry y a su familia.', reply: '¡Gracias por tu apoyo! Seguimos informando y te contaremos las novedades.' },
    { text: 'El asilo es un derecho. Firmo con el corazón.' },
    { text: 'Que se revisen todos los casos. Ninguno más sin debido proceso.' },
    { text: 'Compartido con toda mi familia. Gracias por informar.' },
    { text: 'Fuerza, Andry. Tu voz nos importa.' },
    { text: 'Periodismo así salva vidas. Gracias al equipo.' },
    { text: 'Que abran el CECOT a observadores independientes.' },
  ],
}

/** What some donors chose to show on the donor wall. */
export const demoDonorNotes: { name: string; message: string | null }[] = [
  { name: 'Greta H.', message: 'Für die Reise nach Capacho.' },
  { name: 'Avery W.', message: 'Keep reporting.' },
  { name: 'Lucía A.', message: 'Para que nadie los olvide.' },
  { name: 'A reader in Leeds', message: null },
  { name: 'Jonas K.', message: 'Danke fürs Dranbleiben.' },
  { name: 'Marisol B.', message: null },
  { name: 'Tobias G.', message: 'Go to El Salvador and tell their stories.' },
]

/** The update sent to supporters a couple of weeks before the demo was seeded. */
export const demoSentUpdate: Record<SeedLocale, { title: string; bodyMd: string }> = {
  en: {
    title: 'Thank you: the petition keeps growing',
    bodyMd:
      'In recent weeks, people in more than ten countries have signed the petition, and your gifts have started to fund both reporting trips. We will share what we learn on the road here and by email. Thank you for staying with this case.',
  },
  de: {
    title: 'Danke: Die Petition wächst weiter',
    bodyMd:
      'In den letzten Wochen haben Menschen aus mehr als zehn Ländern die Petition unterschrieben, und Ihre Spenden finanzieren bereits beide Recherchereisen. Was wir unterwegs erfahren, teilen wir hier und per E-Mail. Danke, dass Sie diesen Fall weiter begleiten.',
  },
  es: {
    title: 'Gracias: la petición sigue creciendo',
    bodyMd:
      'En las últimas semanas, personas de más de diez países han firmado la petición, y tus donaciones ya financian los dos viajes de reportería. Compartiremos aquí y por correo lo que aprendamos en el camino. Gracias por seguir este caso.',
  },
}

/** A second campaign of the demo team, closed a while ago. */
export const demoClosedCampaign = {
  slug: DEMO_CLOSED_CAMPAIGN_SLUG,
  target: 'U.S. Department of Homeland Security',
  translations: {
    en: {
      title: 'Publish the criteria: how were the men sent to CECOT classified?',
      summary:
        'We asked the U.S. Department of Homeland Security to publish the criteria it used to label the men sent to CECOT as gang members. This petition is closed; thank you to everyone who signed.',
      storyMd:
        '## Why we asked\n\nTattoos honouring a mother and a father were read as gang signs. Before anyone else is removed on such grounds, the public should know which criteria were used, and who checked them.\n\n## What happened\n\nThis petition collected signatures for four months. We have closed it and sent the signatures together with a formal public-records request. We will report on the answer on our main campaign page.',
      petitionText:
        'To the U.S. Department of Homeland Security: Publish the criteria and the checklists used to classify the Venezuelan men removed to El Salvador in March 2025 as members of a gang, and say who reviewed each decision.',
    },
    de: {
      title: 'Legen Sie die Kriterien offen: Wie wurden die Männer im CECOT eingestuft?',
      summary:
        'Wir haben das US-Heimatschutzministerium aufgefordert, die Kriterien offenzulegen, nach denen die ins CECOT gebrachten Männer als Bandenmitglieder eingestuft wurden. Diese Petition ist beendet; danke an alle, die unterschrieben haben.',
      storyMd:
        '## Warum wir gefragt haben\n\nTätowierungen zu Ehren von Mutter und Vater wurden als Bandenzeichen gelesen. Bevor noch jemand aus solchen Gründen abgeschoben wird, soll die Öffentlichkeit wissen, welche Kriterien galten und wer sie geprüft hat.\n\n## Wie es ausging\n\nDiese Petition hat vier Monate lang Unterschriften gesammelt. Wir haben sie beendet und die Unterschriften zusammen mit einem förmlichen Antrag auf Akteneinsicht übergeben. Über die Antwort berichten wir auf unserer Hauptkampagne.',
      petitionText:
        'An das US-Heimatschutzministerium: Legen Sie die Kriterien und Prüflisten offen, nach denen die im März 2025 nach El Salvador gebrachten Venezolaner als Bandenmitglieder eingestuft wurden, und nennen Sie, wer jede Entscheidung geprüft hat.',
    },
    es: {
      title: 'Publiquen los criterios: ¿cómo se clasificó a los hombres enviados al CECOT?',
      summary:
        'Pedimos al Departamento de Seguridad Nacional de Estados Unidos que publicara los criterios con los que calificó de pandilleros a los hombres enviados al CECOT. Esta petición está cerrada; gracias a todas las personas que firmaron.',
      storyMd:
        '## Por qué lo pedimos\n\nUnos tatuajes en honor a una madre y a un padre se leyeron como señas de pandilla. Antes de que alguien más sea expulsado por motivos así, la gente debe saber qué criterios se usaron y quién los revisó.\n\n## Cómo terminó\n\nEsta petición reunió firmas durante cuatro meses. La cerramos y enviamos las firmas junto con una solicitud formal de acceso a la información. Informaremos de la respuesta en nuestra campaña principal.',
      petitionText:
        'Al Departamento de Seguridad Nacional de Estados Unidos: publiquen los criterios y las listas de verificación con los que se clasificó como pandilleros a los venezolanos enviados a El Salvador en marzo de 2025, y digan quién revisó cada decisión.',
    },
  } satisfies Record<SeedLocale, { title: string; summary: string; storyMd: string; petitionText: string }>,
  imageAlt: {
    en: 'Abstract illustration of a single candle flame glowing in the dark',
    de: 'Abstrakte Illustration: Eine einzelne Kerzenflamme leuchtet in der Dunkelheit',
    es: 'Ilustración abstracta de la llama de una vela encendida en la oscuridad',
  } satisfies Record<SeedLocale, string>,
  /** Its timeline, dated from when it opened (`opened`) and closed (`closed`). */
  timeline: [
    {
      when: 'opened',
      translations: {
        en: { title: 'Petition opened', bodyMd: 'We asked supporters to back our request for the criteria behind the gang labels.' },
        de: { title: 'Petition gestartet', bodyMd: 'Wir haben Unterstützerinnen und Unterstützer gebeten, unsere Forderung nach den Kriterien hinter den Bandenetiketten mitzutragen.' },
        es: { title: 'Abrimos la petición', bodyMd: 'Pedimos a quienes nos apoyan que respaldaran nuestra solicitud de los criterios detrás de las etiquetas de pandilla.' },
      },
    },
    {
      when: 'closed',
      translations: {
        en: { title: 'Petition closed', bodyMd: 'We closed the petition and sent the signatures with a formal public-records request. Thank you for signing.' },
        de: { title: 'Petition beendet', bodyMd: 'Wir haben die Petition beendet und die Unterschriften mit einem förmlichen Antrag auf Akteneinsicht übergeben. Danke für Ihre Unterschrift.' },
        es: { title: 'Cerramos la petición', bodyMd: 'Cerramos la petición y enviamos las firmas con una solicitud formal de acceso a la información. Gracias por firmar.' },
      },
    },
  ] satisfies { when: 'opened' | 'closed'; translations: Record<SeedLocale, { title: string; bodyMd: string }> }[],
}

/** Messages still waiting for the team's moderation (from the latest signers). */
export const demoPendingMessages: { locale: SeedLocale; text: string }[] = [
  { locale: 'en', text: 'When is the next trip? I would be glad to help with translations.' },
  { locale: 'de', text: 'Gibt es die Petition auch auf Papier? Unsere Gemeinde würde gern Unterschriften sammeln.' },
]
