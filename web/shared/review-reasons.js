// What a supervisor can send a plot back for (the server's reason items, data/review.cpp), in
// the words both the field app and the dashboard show.
export const reasonWords = {
  th: {
    reason_deed_no: 'เลขที่เอกสารสิทธิ์',
    reason_deed_type: 'ประเภทเอกสารสิทธิ์',
    reason_declared_area: 'เนื้อที่ตามเอกสาร',
    reason_location: 'ตำแหน่ง',
    reason_boundary: 'ขอบเขตแปลง',
    reason_photos: 'ภาพถ่าย',
  },
  en: {
    reason_deed_no: 'deed number',
    reason_deed_type: 'deed type',
    reason_declared_area: 'declared area',
    reason_location: 'location',
    reason_boundary: 'boundary',
    reason_photos: 'photos',
  },
};
