// The dashboard's words in Thai (first) and English.
const words = {
  th: {
    title: 'ความก้าวหน้าโคก หนอง นา',
    sign_in: 'เข้าสู่ระบบ',
    username: 'ชื่อผู้ใช้',
    password: 'รหัสผ่าน',
    language: 'EN',
    country: 'ประเทศไทย',
    program: 'โครงการ',
    stage: 'ขั้นตอน',
    budget_year: 'ปีงบประมาณ (พ.ศ.)',
    share_of: 'สีบนแผนที่: สัดส่วนแปลงที่ถึงขั้น',
    all: 'ทั้งหมด',
    area: 'พื้นที่',
    plots: 'แปลง',
    area_rai: 'เนื้อที่ (ไร่)',
    mean_rai: 'เฉลี่ย (ไร่/แปลง)',
    with_boundary: 'มีขอบเขต',
    reached: 'ถึงขั้น{stage}ขึ้นไป',
    no_plots: 'ไม่มีแปลง',
    stage_surveyed: 'สำรวจแล้ว',
    stage_digging: 'กำลังขุด',
    stage_planting: 'กำลังปลูก',
    stage_complete: 'เสร็จสมบูรณ์',
    load_failed: 'โหลดตัวเลขไม่ได้: {detail}',
  },
  en: {
    title: 'Khok Nong Na progress',
    sign_in: 'Sign in',
    username: 'Username',
    password: 'Password',
    language: 'ไทย',
    country: 'Thailand',
    program: 'Programme',
    stage: 'Stage',
    budget_year: 'Budget year (BE)',
    share_of: 'Map colour: share of plots at or past',
    all: 'all',
    area: 'Area',
    plots: 'plots',
    area_rai: 'area (rai)',
    mean_rai: 'mean (rai/plot)',
    with_boundary: 'with boundary',
    reached: '{stage} or later',
    no_plots: 'no plots',
    stage_surveyed: 'surveyed',
    stage_digging: 'digging',
    stage_planting: 'planting',
    stage_complete: 'complete',
    load_failed: 'Could not load the numbers: {detail}',
  },
};

let current = 'th';
export const setLanguage = (lang) => { current = words[lang] ? lang : 'th'; };
export const language = () => current;
export function t(key, values = {}) {
  const text = words[current][key] ?? words.th[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
}
export const keys = (lang) => Object.keys(words[lang] ?? {});
