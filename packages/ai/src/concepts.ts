/**
 * A small shipped table of everyday and workplace concepts for the offline "bridged" embeddings:
 * each line is one concept, its words and two-word phrases in English, French, German, Spanish,
 * Portuguese, Italian, Japanese and Chinese. A text that names any of them gets the concept as a
 * feature, so "car park" and "parking garage", or "laptop" and "ordinateur portable", share one.
 * Words are matched lower-cased, without accents, after the embedding's plural stemming; CJK terms
 * are matched inside runs. Deliberately general: no document's wording is copied here.
 */
const TABLE = `
vacation: vacation holiday holidays leave annual-leave time-off pto congé congés vacances urlaub ferien vacaciones férias ferie 休暇 假期 放假
sick: sick ill illness unwell disease malade maladie krank krankheit enfermo enfermedad doente doença malato malattia 病気 生病
doctor: doctor physician médecin arzt ärztin médico medico 医者 医生
work-home: remote remotely home-office telework teleworking télétravail domicile homeoffice zuhause teletrabajo teletrabalho smartworking 在宅 远程
country: country nation abroad overseas foreign pays étranger ausland land país extranjero exterior estero paese 海外 国外
car: car cars vehicle vehicles automobile auto voiture wagen fahrzeug coche carro macchina 車 汽车
parking: parking garage car-park carpark parking-lot park stationnement parkplatz parkhaus tiefgarage aparcamiento estacionamiento estacionamento parcheggio 駐車場 停车场
bicycle: bicycle bicycles bike bikes cycle vélo fahrrad bicicleta bici 自転車 自行车
laptop: laptop notebook computer pc ordinateur ordinateur-portable rechner laptop portátil computador computer-portatile パソコン 电脑
phone: phone smartphone mobile cellphone téléphone portable handy telefon teléfono móvil celular telefono cellulare 電話 手机
password: password passcode passphrase passwort kennwort mot-de-passe contraseña senha パスワード 密码
login: login log-in sign-in authentication two-step two-factor 2fa mfa authentification anmeldung autenticación autenticação autenticazione 認証 登录
email: email e-mail mail mailbox inbox courriel messagerie postfach correo 邮件 メール
wifi: wifi wi-fi wireless wlan sans-fil inalámbrico 無線 无线
screen: screen monitor display écran bildschirm monitor pantalla tela schermo 画面 モニター 显示器
manager: manager boss supervisor line-manager chef responsable führungskraft vorgesetzte vorgesetzter jefe gerente gestor responsabile 上司 经理
employee: employee employees staff worker workers personnel salarié salariés mitarbeitende mitarbeiter empleado funcionário dipendente 社員 员工
new-hire: new-hire new-starter newcomer joiner onboarding nouvel-arrivant neuzugang 新人 新员工
money-back: refund refunds reimburse reimbursed reimbursement repay repaid pay-back paid-back money-back remboursement rembourser erstattung erstatten rückerstattung reembolso reembolsar reembolsado rimborso rimborsare 払い戻し 退款 报销
expense: expense expenses cost costs spending frais dépenses kosten ausgaben gastos despesas spese 費用 费用
meal: meal meals food lunch dinner repas déjeuner essen mahlzeit comida almuerzo refeição alimentação pasto pranzo 食事 餐
alcohol: alcohol wine beer alcool vin alkohol wein bier vino cerveza álcool vinho birra お酒 酒
receipt: receipt receipts invoice invoices bill reçu facture quittung beleg rechnung recibo factura nota-fiscal ricevuta fattura 領収書 发票
hotel: hotel hotels accommodation lodging hôtel unterkunft alojamiento hospedagem albergo ホテル 酒店
flight: flight flights plane airplane airline vol flug vuelo voo volo 飛行機 航班
trip: trip travel travelling traveling journey business-trip voyage déplacement reise dienstreise viaje viagem viaggio 出張 出差
overtime: overtime extra-hours heures-supplémentaires überstunden mehrstunden mehrarbeit horas-extra horas-extras straordinari 残業 加班
working-time: working-hours work-hours timesheet time-tracking horaires arbeitszeit zeiterfassung horario jornada expediente orario 勤務時間 工作时间
summer: summer été sommer verano julio agosto verão estate 夏 夏天
meeting: meeting meetings réunion besprechung sitzung reunión reunião riunione 会議 会议
reception: reception front-desk lobby accueil empfang recepción recepção reception 受付 前台
visitor: visitor visitors guest guests caller visiteur besucher gast visitante visita ospite 来客 お客様 访客
delivery: delivery deliveries parcel parcels package packages courier livraison colis lieferung paket entrega paquete encomenda consegna pacco 配達 快递
waste: waste trash rubbish garbage recycling déchets abfall müll residuos basura lixo rifiuti ゴミ 垃圾
battery: battery batteries pile piles batterie batterien pila pilas bateria batteria 電池 电池
glass: glass bottle bottles verre bouteille glas flasche vidrio botella vidro garrafa vetro bottiglia ガラス 玻璃
fridge: fridge refrigerator réfrigérateur frigo kühlschrank nevera refrigerador geladeira frigorifero 冷蔵庫 冰箱
coffee: coffee espresso café kaffee caffè コーヒー 咖啡
reset: reset restore factory-reset factory-settings réinitialiser zurücksetzen restablecer redefinir ripristinare 初期化 重置
update: update updates upgrade firmware mise-à-jour aktualisierung actualización atualização aggiornamento 更新 升级
router: router modem box routeur ルーター 路由器
emergency: emergency urgent urgence notfall dringend emergencia urgente emergência emergenza 緊急 紧急
deadline: deadline expire expires expiry expired lapse échéance expirer ablauf verfallen vencimiento caducar vencer validade scadenza scadere 期限 过期
weekly: week weekly semaine hebdomadaire woche wöchentlich semana settimana 週 周
daily: daily every-day per-day quotidien täglich diario diário giornaliero 毎日 每天
sleep: sleep asleep doze nap bedtime sommeil dormir schlaf schlafen sueño sono sonno 睡眠 睡觉
run: run running jog jogging race marathon course laufen carrera corrida corsa マラソン 跑步
earthquake: earthquake quake seismic tremor shake shaking séisme erdbeben terremoto sismo 地震
volcano: volcano volcanic eruption erupt lava magma molten volcan vulkan volcán vulcão vulcano 火山
ocean: ocean sea seas marine océan mer meer océano mar oceano mare 海
galaxy: galaxy galaxies milky-way galaxie galaxie galaxia galassia 銀河 银河
star: star stars stellar sun étoile stern estrella estrela stella 星 恒星
plant: plant plants leaf leaves vegetation plante pflanze planta pianta 植物
sunlight: sunlight light solar sun lumière licht luz luce 光 阳光
print: print printing printed press typography imprimerie druck imprenta impressão stampa 印刷
book: book books bible livre buch libro livro 本 书
water-supply: aqueduct aqueducts pipe channel canal conduit aqueduc aquädukt acueducto aqueduto acquedotto 水道 水渠
trade: trade traded trading merchant merchants goods commerce handel comercio comércio commercio 貿易 贸易
religion: religion buddhism buddhist religion religion religión religião 仏教 佛教
bread: bread loaf loaves dough pain brot pan pão pane パン 面包
flour: flour farine mehl harina farinha farina 小麦粉 面粉
noodle: noodle noodles ramen pasta nouilles nudeln fideos macarrão 麺 面条
soup: soup broth stock soupe bouillon suppe brühe sopa caldo brodo スープ 汤
rice: rice riz reis arroz riso 米 ご飯 米饭
interest: interest compound savings saving intérêt zins zinsen interés juros interesse 利息 利子
tax: tax taxes vat sales-tax taxe tva steuer mehrwertsteuer impuesto iva imposto imposta 税 税金
cache: cache caching cached store-copy mise-en-cache zwischenspeicher caché 缓存 キャッシュ
browser: browser browsers navigateur navegador 浏览器 ブラウザ
domain: domain website web-address hostname url domaine dominio domínio ドメイン 域名
database: database sql table rows query base-de-données datenbank base-de-datos banco-de-dados データベース 数据库
memory: memory heap ram allocation mémoire speicher memoria memória メモリ 内存
pause: pause pauses freeze stall stutter lag pausa ポーズ 停顿
chess: chess échecs schach ajedrez xadrez scacchi チェス 国际象棋
train: train trains rail railway shinkansen bullet-train zug bahn tren comboio treno 電車 新幹線 火车
water-plants: watering irrigate arroser gießen regar annaffiare 水やり 浇水
cactus: cactus cacti succulent succulents kaktus cactus suculenta succulenta サボテン 仙人掌
clean: clean cleaning descale descaling limescale rinse wash nettoyer détartrer reinigen entkalken limpiar descalcificar limpar pulire decalcificare 掃除 清洁
turbine: turbine wind-turbine windmill wind-generator éolienne windkraftanlage windrad aerogenerador turbina 風車 风力发电机
inspect: inspect inspection check examine examined maintenance inspecter contrôle prüfen wartung inspeccionar revisar inspecionar ispezionare 点検 检查
photovoltaic: photovoltaic solar-panel solar-panels solar-module pv panneau-solaire solarmodul panel-solar painel-solar pannello-solare 太陽光 光伏
protein: protein gluten protéine eiweiß proteína proteina タンパク質 蛋白质
`;

const fold = (word: string): string =>
  word
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFC');

const stemWord = (word: string): string => {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
};

/** The key a word is looked up by: lower-case, accents removed, plural stemmed. */
export const conceptKey = (word: string): string => stemWord(fold(word.normalize('NFKC').toLowerCase()));

const DENSE = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+$/u;

interface ConceptIndex {
  /** Single words and "first second" phrases → concept names. */
  words: Map<string, string[]>;
  /** CJK terms, matched inside runs, longest first. */
  dense: { term: string; concept: string }[];
}

const build = (): ConceptIndex => {
  const words = new Map<string, string[]>();
  const dense: { term: string; concept: string }[] = [];
  for (const line of TABLE.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const concept = line.slice(0, colon).trim();
    for (const entry of line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)) {
      if (DENSE.test(entry)) {
        dense.push({ term: entry, concept });
        continue;
      }
      const key = entry.split('-').map(conceptKey).join(' ');
      const list = words.get(key) ?? [];
      if (!list.includes(concept)) list.push(concept);
      words.set(key, list);
    }
  }
  dense.sort((a, b) => b.term.length - a.term.length);
  return { words, dense };
};

let index: ConceptIndex | undefined;
const conceptIndex = (): ConceptIndex => {
  index ??= build();
  return index;
};

/**
 * The concepts a text names, in order of appearance (a concept once per mention): `words` are the
 * text's word keys (see conceptKey) in order, `denseRuns` its CJK runs.
 */
export const conceptsOf = (words: readonly string[], denseRuns: readonly string[]): string[] => {
  const { words: table, dense } = conceptIndex();
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const pair = i + 1 < words.length ? table.get(`${words[i]} ${words[i + 1]}`) : undefined;
    if (!pair) {
      out.push(...(table.get(words[i]!) ?? []));
      continue;
    }
    // A phrase is one mention: its concepts, then those of its two words that it does not name.
    const named = new Set(pair);
    out.push(...pair);
    for (const word of [words[i]!, words[i + 1]!]) {
      for (const concept of table.get(word) ?? []) {
        if (!named.has(concept)) out.push(concept);
        named.add(concept);
      }
    }
    i++;
  }
  for (const run of denseRuns) {
    for (const { term, concept } of dense) if (run.includes(term)) out.push(concept);
  }
  return out;
};
