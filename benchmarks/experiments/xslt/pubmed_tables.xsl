<?xml version="1.0" encoding="UTF-8"?>
<!--
  PubmedArticleSet -> tab-separated text, one section per table.

  Each section starts with a line "@@TABLE name" and holds one line per row; every row starts
  with the PMID. Sections are written one after the other (one pass over the tree per table), so
  each is a plain TSV block that polars.read_csv can take as is (separator tab, no quoting).
  Text is folded with normalize-space(), which also turns tabs, CR and LF into single spaces, so
  no field can hold a separator or a line end. Absent values are empty fields (null in polars).
  Lists inside a field (languages, qualifiers) are joined with "; " / "|".
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8"/>


  <!-- Year-Month-Day of a date element, as written (raw components joined by '-') -->
  <xsl:template name="ymd">
    <xsl:param name="d"/>
    <xsl:if test="$d">
      <xsl:value-of select="normalize-space($d/Year[1])"/>-<xsl:value-of
        select="normalize-space($d/Month[1])"/>-<xsl:value-of select="normalize-space($d/Day[1])"/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="/">
    <xsl:variable name="arts" select="/*/PubmedArticle"/>

    <!-- ============ articles ============ -->
    <xsl:text>@@TABLE articles&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="mc" select="MedlineCitation[1]"/>
      <xsl:variable name="a" select="$mc/Article[1]"/>
      <xsl:variable name="j" select="$a/Journal[1]"/>
      <xsl:variable name="ji" select="$j/JournalIssue[1]"/>
      <xsl:variable name="pd" select="$ji/PubDate[1]"/>
      <xsl:variable name="mji" select="$mc/MedlineJournalInfo[1]"/>
      <xsl:variable name="pg" select="$a/Pagination[1]"/>
      <xsl:variable name="ids" select="PubmedData[1]/ArticleIdList/ArticleId"/>
      <!-- pmid, version, status, owner, indexing_method -->
      <xsl:value-of select="normalize-space($mc/PMID[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="$mc/PMID[1]/@Version"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="$mc/@Status"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="$mc/@Owner"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="$mc/@IndexingMethod"/><xsl:text>&#9;</xsl:text>
      <!-- date_completed, date_revised -->
      <xsl:call-template name="ymd"><xsl:with-param name="d" select="$mc/DateCompleted[1]"/></xsl:call-template>
      <xsl:text>&#9;</xsl:text>
      <xsl:call-template name="ymd"><xsl:with-param name="d" select="$mc/DateRevised[1]"/></xsl:call-template>
      <xsl:text>&#9;</xsl:text>
      <!-- title, vernacular_title -->
      <xsl:value-of select="normalize-space($a/ArticleTitle[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($a/VernacularTitle[1])"/><xsl:text>&#9;</xsl:text>
      <!-- abstract (sections joined with a space), copyright -->
      <xsl:for-each select="$a/Abstract[1]/AbstractText">
        <xsl:variable name="s" select="normalize-space(.)"/>
        <xsl:if test="position() &gt; 1 and $s != ''"><xsl:text> </xsl:text></xsl:if>
        <xsl:value-of select="$s"/>
      </xsl:for-each>
      <xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($a/Abstract[1]/CopyrightInformation[1])"/><xsl:text>&#9;</xsl:text>
      <!-- languages -->
      <xsl:for-each select="$a/Language">
        <xsl:if test="position() &gt; 1">; </xsl:if><xsl:value-of select="normalize-space(.)"/>
      </xsl:for-each>
      <xsl:text>&#9;</xsl:text>
      <!-- journal: title, iso, issn, issn_type, issn_linking, nlm_unique_id, country, volume, issue -->
      <xsl:value-of select="normalize-space($j/Title[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($j/ISOAbbreviation[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($j/ISSN[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="$j/ISSN[1]/@IssnType"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($mji/ISSNLinking[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($mji/NlmUniqueID[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($mji/Country[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($ji/Volume[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($ji/Issue[1])"/><xsl:text>&#9;</xsl:text>
      <!-- pages: MedlinePgn, else StartPage-EndPage -->
      <xsl:choose>
        <xsl:when test="normalize-space($pg/MedlinePgn[1]) != ''">
          <xsl:value-of select="normalize-space($pg/MedlinePgn[1])"/>
        </xsl:when>
        <xsl:when test="$pg/StartPage">
          <xsl:value-of select="normalize-space($pg/StartPage[1])"/>
          <xsl:if test="normalize-space($pg/EndPage[1]) != ''">-<xsl:value-of
              select="normalize-space($pg/EndPage[1])"/></xsl:if>
        </xsl:when>
      </xsl:choose>
      <xsl:text>&#9;</xsl:text>
      <!-- pub date: year, month, day, season, medline_date -->
      <xsl:value-of select="normalize-space($pd/Year[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($pd/Month[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($pd/Day[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($pd/Season[1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($pd/MedlineDate[1])"/><xsl:text>&#9;</xsl:text>
      <!-- article_date, publication_status -->
      <xsl:call-template name="ymd"><xsl:with-param name="d" select="$a/ArticleDate[1]"/></xsl:call-template>
      <xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space(PubmedData[1]/PublicationStatus[1])"/><xsl:text>&#9;</xsl:text>
      <!-- doi (ArticleId, else ELocationID), pmc, pii -->
      <xsl:choose>
        <xsl:when test="$ids[@IdType='doi']"><xsl:value-of select="normalize-space($ids[@IdType='doi'][1])"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="normalize-space($a/ELocationID[@EIdType='doi'][1])"/></xsl:otherwise>
      </xsl:choose>
      <xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($ids[@IdType='pmc'][1])"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="normalize-space($ids[@IdType='pii'][1])"/>
      <xsl:text>&#10;</xsl:text>
    </xsl:for-each>

    <!-- ============ authors: pmid, position, last, fore, initials, suffix, collective, orcid,
         equal_contrib, first affiliation, number of affiliations ============ -->
    <xsl:text>@@TABLE authors&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="MedlineCitation[1]/Article[1]/AuthorList[1]/Author">
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="position()"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(LastName[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(ForeName[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(Initials[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(Suffix[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(CollectiveName[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(Identifier[translate(@Source,'orcid','ORCID')='ORCID'][1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="@EqualContrib"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(AffiliationInfo/Affiliation[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="count(AffiliationInfo/Affiliation)"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>

    <!-- ============ abstract sections: pmid, position, label, category, text ============ -->
    <xsl:text>@@TABLE abstract_sections&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="MedlineCitation[1]/Article[1]/Abstract[1]/AbstractText">
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="position()"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(@Label)"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="@NlmCategory"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(.)"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>

    <!-- ============ mesh: pmid, position, descriptor, ui, major, qualifier names, UIs, majors ============ -->
    <xsl:text>@@TABLE mesh&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="MedlineCitation[1]/MeshHeadingList/MeshHeading[DescriptorName]">
        <xsl:variable name="d" select="DescriptorName[1]"/>
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="position()"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space($d)"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="$d/@UI"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="$d/@MajorTopicYN"/><xsl:text>&#9;</xsl:text>
        <xsl:for-each select="QualifierName">
          <xsl:if test="position() &gt; 1">|</xsl:if><xsl:value-of select="normalize-space(.)"/>
        </xsl:for-each>
        <xsl:text>&#9;</xsl:text>
        <xsl:for-each select="QualifierName">
          <xsl:if test="position() &gt; 1">|</xsl:if><xsl:value-of select="@UI"/>
        </xsl:for-each>
        <xsl:text>&#9;</xsl:text>
        <xsl:for-each select="QualifierName">
          <xsl:if test="position() &gt; 1">|</xsl:if><xsl:value-of select="@MajorTopicYN"/>
        </xsl:for-each>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>

    <!-- ============ publication types: pmid, ui, name ============ -->
    <xsl:text>@@TABLE publication_types&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="MedlineCitation[1]/Article[1]/PublicationTypeList/PublicationType">
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="@UI"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(.)"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>

    <!-- ============ keywords: pmid, owner, major, keyword ============ -->
    <xsl:text>@@TABLE keywords&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="MedlineCitation[1]/KeywordList/Keyword[normalize-space(.) != '']">
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="../@Owner"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="@MajorTopicYN"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(.)"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>

    <!-- ============ chemicals: pmid, name, ui, registry number ============ -->
    <xsl:text>@@TABLE chemicals&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="MedlineCitation[1]/ChemicalList/Chemical[NameOfSubstance]">
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(NameOfSubstance[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="NameOfSubstance[1]/@UI"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(RegistryNumber[1])"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>

    <!-- ============ grants: pmid, grant_id, acronym, agency, country ============ -->
    <xsl:text>@@TABLE grants&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="MedlineCitation[1]/Article[1]/GrantList/Grant">
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(GrantID[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(Acronym[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(Agency[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(Country[1])"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>

    <!-- ============ article ids: pmid, type, value ============ -->
    <xsl:text>@@TABLE article_ids&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="PubmedData[1]/ArticleIdList/ArticleId[normalize-space(.) != '']">
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="@IdType"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(.)"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>

    <!-- ============ history: pmid, status, year, month, day ============ -->
    <xsl:text>@@TABLE history&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="PubmedData[1]/History/PubMedPubDate">
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="@PubStatus"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(Year[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(Month[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(Day[1])"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>

    <!-- ============ databanks: pmid, bank, accession ============ -->
    <xsl:text>@@TABLE databanks&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="MedlineCitation[1]/Article[1]/DataBankList/DataBank/AccessionNumberList/AccessionNumber">
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(../../DataBankName[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(.)"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>

    <!-- ============ comments/corrections: pmid, ref_type, ref_pmid, ref_source ============ -->
    <xsl:text>@@TABLE comments&#10;</xsl:text>
    <xsl:for-each select="$arts">
      <xsl:variable name="pmid" select="normalize-space(MedlineCitation[1]/PMID[1])"/>
      <xsl:for-each select="MedlineCitation[1]/CommentsCorrectionsList/CommentsCorrections">
        <xsl:value-of select="$pmid"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="@RefType"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(PMID[1])"/><xsl:text>&#9;</xsl:text>
        <xsl:value-of select="normalize-space(RefSource[1])"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
